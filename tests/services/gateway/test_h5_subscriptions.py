"""Service subscriptions (R-EN-6): "订阅" → signed link → /h5/subscriptions → opt-outs stored.

Gateway and engine run in process on the bus; the page is driven like a phone's browser would
(cookie jar, form posts). What the dispatcher does with the opt-outs is tested in
``tests/services/dispatcher/delivery/test_suppression.py`` and end to end in
``tests/e2e/test_subscriptions.py``.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from libs.common.db.models import AuditEntry, Customer, ReminderOptOut, ReminderType
from libs.common.h5_links import H5LinkSigner
from libs.common.secret_box import SecretBox
from tests.services.support import SECRET_KEY, InboundStack
from wxhub.demo.outbound import CUSTOMERS, seed_outbound_demo

_ids = itertools.count(7_200_000_000_000_000_000)
BASE = "http://gateway"
BOUND = CUSTOMERS[0][0]


@pytest.fixture
async def h5(make_stack: Any) -> InboundStack:
    stack: InboundStack = await make_stack(h5_base_url=BASE)
    async with stack.resources.sessions.begin() as session:
        await seed_outbound_demo(session, SecretBox(SECRET_KEY))
    return stack


def _browser(stack: InboundStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.gateway.app), base_url=BASE)


async def _link(stack: InboundStack, openid: str) -> str:
    response = await stack.post(stack.pusher.text(openid, "订阅", msg_id=next(_ids)))
    fields = stack.reply_fields(response)
    assert fields["MsgType"] == "news", fields
    url = urlsplit(fields["Articles"]["item"][0]["Url"])
    return f"{url.path}?{url.query}"


async def _open(browser: httpx.AsyncClient, link: str) -> tuple[httpx.Response, dict[str, str]]:
    page = await browser.get(link)
    hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
    return page, hidden


def _ticked(page: httpx.Response) -> dict[str, bool]:
    boxes = re.findall(r'name="type\.([a-z_]+)" value="1"( checked)?', page.text)
    return {event_type: bool(checked) for event_type, checked in boxes}


async def _opted_out(stack: InboundStack) -> set[str]:
    async with stack.resources.sessions() as session:
        rows = await session.scalars(
            select(ReminderType.event_type)
            .join(ReminderOptOut, ReminderOptOut.reminder_type_id == ReminderType.id)
            .join(Customer, Customer.id == ReminderOptOut.customer_id)
            .where(Customer.openid == BOUND)
        )
        return set(rows)


async def test_a_bound_customer_opts_out_and_the_page_remembers(h5: InboundStack) -> None:
    link = await _link(h5, BOUND)
    assert link.startswith("/h5/subscriptions?t=")
    async with _browser(h5) as browser:
        page, hidden = await _open(browser, link)
        assert page.status_code == 200
        assert "服务订阅" in page.text
        assert "基金申购确认" in page.text
        assert _ticked(page) == {"balance_change": True, "fund_confirm": True}
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        assert "<script" not in page.text

        saved = await browser.post("/h5/subscriptions", data={**hidden, "type.balance_change": "1"})
        assert saved.status_code == 200, saved.text
        assert "已保存" in saved.text
        replay = await browser.post("/h5/subscriptions", data=hidden)
        assert replay.status_code == 410
        assert "订阅" in replay.text

    assert await _opted_out(h5) == {"fund_confirm"}
    async with h5.resources.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "customer.subscriptions_changed")
        )
    assert audit is not None
    assert audit.after == {"account": "demo", "opted_out": ["fund_confirm"]}

    async with _browser(h5) as browser:
        page, hidden = await _open(browser, await _link(h5, BOUND))
        assert _ticked(page) == {"balance_change": True, "fund_confirm": False}
        # Ticking it again opts back in.
        both = {**hidden, "type.balance_change": "1", "type.fund_confirm": "1"}
        assert (await browser.post("/h5/subscriptions", data=both)).status_code == 200
    assert await _opted_out(h5) == set()


async def test_bad_submissions_change_nothing(h5: InboundStack) -> None:
    async with _browser(h5) as browser, _browser(h5) as attacker:
        _, hidden = await _open(browser, await _link(h5, BOUND))
        unknown = await browser.post("/h5/subscriptions", data={**hidden, "type.<script>": "1"})
        assert unknown.status_code == 400
        assert "<script>" not in unknown.text
        no_csrf = await browser.post("/h5/subscriptions", data={"t": hidden["t"]})
        assert no_csrf.status_code == 403
        foreign = await attacker.post("/h5/subscriptions", data=hidden)
        assert foreign.status_code == 403
        huge = await browser.post("/h5/subscriptions", data={**hidden, "x": "9" * 10_000})
        assert huge.status_code == 413
        forged = await browser.get("/h5/subscriptions", params={"t": hidden["t"][:-4] + "AAAA"})
        assert forged.status_code == 400
        bind_link = H5LinkSigner(SECRET_KEY).issue("demo", BOUND, "bind")
        other_page = await browser.get("/h5/subscriptions", params={"t": bind_link})
        assert other_page.status_code == 400
    assert await _opted_out(h5) == set()
    async with h5.resources.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReminderOptOut)) == 0


async def test_unbound_followers_are_sent_to_binding_first(h5: InboundStack) -> None:
    response = await h5.post(h5.pusher.text("oNotBound", "订阅", msg_id=next(_ids)))
    fields = h5.reply_fields(response)
    assert "/h5/bind?t=" in fields["Articles"]["item"][0]["Url"]
    assert "请先绑定" in fields["Articles"]["item"][0]["Description"]
    # A signed link of an unbound follower (bound when it was issued, say) shows no choices.
    token = H5LinkSigner(SECRET_KEY).issue("demo", "oNotBound", "subscriptions")
    page = await h5.client.get("/h5/subscriptions", params={"t": token})
    assert page.status_code == 409
    assert "请先绑定身份" in page.text
    assert 'type="checkbox"' not in page.text
