"""Click tracking where notifications are built: an account with ``track_clicks`` sends its
template url and customer-service text links as registered short links; others send them as
they are."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from libs.common.bus import EVENTS, OUTBOUND
from libs.common.db.models import Account, ReminderType, ShortLink
from libs.common.schemas.events import InboundHandled
from libs.common.schemas.outbound import OutboundRequested
from libs.common.short_links import ShortLinkSigner
from tests.polling import eventually
from tests.services.dispatcher.support import OPENID, Harness
from wxhub.demo.account import DEMO

DETAIL = "https://fund.example.com/detail?tail={account_tail}"
CS_TEXT = "资金变动，详情请看 https://fund.example.com/cs?tail={account_tail}。"
SMS_TEXT = "资金变动 https://fund.example.com/sms"


async def _configure(harness: Harness, *, track: bool) -> None:
    async with harness.resources.sessions.begin() as session:
        await session.execute(
            update(Account).where(Account.code == DEMO.code).values(track_clicks=track)
        )
        await session.execute(
            update(ReminderType)
            .where(ReminderType.event_type == "balance_change")
            .values(template_url=DETAIL, cs_text=CS_TEXT, sms_text=SMS_TEXT)
        )


async def _links(harness: Harness) -> list[ShortLink]:
    async with harness.resources.sessions() as session:
        return list(await session.scalars(select(ShortLink).order_by(ShortLink.id)))


async def test_a_tracking_account_sends_its_template_url_as_a_short_link(
    harness: Harness,
) -> None:
    await _configure(harness, track=True)
    nid = await harness.notify()
    await harness.wait_terminal([nid])
    [template] = [d for d in harness.boxes.wx.deliveries if d.kind == "template"]
    prefix = f"{harness.settings.short_link_base}/r/"
    assert template.body["url"].startswith(prefix)
    links = {link.url: link for link in await _links(harness)}
    # Both messages the notification may become are built: the text's link is registered too.
    assert set(links) == {
        "https://fund.example.com/detail?tail=1234",
        "https://fund.example.com/cs?tail=1234",
    }
    link = links["https://fund.example.com/detail?tail=1234"]
    assert (link.notification_id, link.openid) == (nid, OPENID)
    assert (link.event_type, link.channel) == ("balance_change", "wechat_template")
    assert links["https://fund.example.com/cs?tail=1234"].channel == "wechat_custom"
    code = template.body["url"].removeprefix(prefix)
    assert ShortLinkSigner(harness.settings.secret_key).link_id(code) == link.id


async def test_customer_service_text_links_are_shortened_in_place(harness: Harness) -> None:
    await _configure(harness, track=True)
    interaction = InboundHandled(
        account=DEMO.code, kind="text", openid=OPENID, answer="", outcome="ok", handle_ms=1.0
    )
    await harness.resources.bus.publish(EVENTS, "inbound.handled", interaction.to_bytes())
    await eventually(harness.windows, what="the message window")
    nid = await harness.notify()
    await harness.wait_terminal([nid])
    [custom] = [d for d in harness.boxes.wx.deliveries if d.kind == "custom"]
    text = custom.body["text"]["content"]
    prefix = f"{harness.settings.short_link_base}/r/"
    assert text.startswith(f"资金变动，详情请看 {prefix}")
    # The Chinese full stop ends the link; it stays after the short link.
    assert text.endswith("。")
    urls = [link.url for link in await _links(harness)]
    assert "https://fund.example.com/cs?tail=1234" in urls


async def test_an_account_without_tracking_sends_links_unchanged(harness: Harness) -> None:
    await _configure(harness, track=False)
    nid = await harness.notify()
    await harness.wait_terminal([nid])
    [template] = [d for d in harness.boxes.wx.deliveries if d.kind == "template"]
    assert template.body["url"] == "https://fund.example.com/detail?tail=1234"
    assert await _links(harness) == []


async def test_an_agents_text_links_are_shortened_but_short_links_stay(harness: Harness) -> None:
    await _configure(harness, track=True)
    prefix = f"{harness.settings.short_link_base}/r/"
    # A publication's text, already tracked by the admin API, is sent as it is.
    already = f"{prefix}AbCdEf"
    for message_id, text in [
        ("cs1-m1", "请看 https://fund.example.com/faq 了解详情"),
        ("cs1-m2", f"本周报告 {already}"),
    ]:
        request = OutboundRequested(
            message_id=message_id,
            account=DEMO.code,
            openid=OPENID,
            origin="cs",
            custom_message={"msgtype": "text", "text": {"content": text}},
        )
        await harness.resources.bus.publish(
            OUTBOUND, "alert.wechat", request.to_bytes(), message_id=request.message_id
        )

    def both() -> list[Any]:
        custom = [d for d in harness.boxes.wx.deliveries if d.kind == "custom"]
        return custom if len(custom) == 2 else []

    custom = await eventually(both, what="both custom messages")
    texts = sorted(d.body["text"]["content"] for d in custom)
    assert texts[0] == f"本周报告 {already}"
    assert texts[1].startswith(f"请看 {prefix}")
    assert texts[1].endswith(" 了解详情")
    [link] = await _links(harness)
    assert (link.url, link.notification_id, link.openid) == (
        "https://fund.example.com/faq",
        "cs1-m1",
        OPENID,
    )
    assert (link.event_type, link.channel) == ("cs", "wechat_custom")
