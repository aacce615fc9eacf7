"""Identity binding end to end: chat → signed link → /h5/bind → core system → bound → balance.

Gateway and engine run in process on the bus, the core-system sandbox on a loopback port; the
binding page is driven like a phone's browser would (cookie jar, form posts).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from libs.common.bus import DISPATCHER_ALERT, EVENTS, Queue, Topology
from libs.common.customer_numbers import PURPOSE, opened
from libs.common.db.models import Account, AuditEntry, BindingFailure, Customer, H5LinkUse
from libs.common.h5_links import H5LinkSigner
from libs.common.schemas.events import CustomerBindingLocked, CustomerBound
from libs.common.schemas.outbound import OutboundRequested
from tests.polling import eventually
from tests.services.support import SECRET_KEY, InboundStack

_ids = itertools.count(7_100_000_000_000_000_000)
# The demo customer C00000002's test identity (sandboxes/core_system/identity.py).
IDENTITY = {
    "id_number": "310101198506150024",
    "card_no": "6217000000000054321",
    "password": "654321",
}
BASE = "http://gateway"


@pytest.fixture
async def h5(make_stack: Any) -> InboundStack:
    stack: InboundStack = await make_stack(h5_base_url=BASE)
    return stack


def _cookie_jar_client(stack: InboundStack) -> httpx.AsyncClient:
    """A second browser: its own cookies, same gateway."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=stack.gateway.app), base_url=BASE)


async def _chat(stack: InboundStack, openid: str, text: str) -> dict[str, Any]:
    response = await stack.post(stack.pusher.text(openid, text, msg_id=next(_ids)))
    return stack.reply_fields(response)


async def _bind_link(stack: InboundStack, openid: str, text: str = "绑定") -> str:
    fields = await _chat(stack, openid, text)
    assert fields["MsgType"] == "news", fields
    url: str = fields["Articles"]["item"][0]["Url"]
    assert url.startswith(f"{BASE}/h5/bind?t=")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _open(browser: httpx.AsyncClient, link: str) -> tuple[httpx.Response, dict[str, str]]:
    page = await browser.get(link)
    hidden = dict(re.findall(r'name="(t|csrf)" value="([^"]*)"', page.text))
    return page, hidden


async def _submit(
    browser: httpx.AsyncClient, hidden: dict[str, str], **fields: str
) -> httpx.Response:
    return await browser.post("/h5/bind", data={**hidden, **IDENTITY, **fields})


async def _customer(stack: InboundStack, openid: str) -> Customer | None:
    async with stack.resources.sessions() as session:
        return await session.scalar(select(Customer).where(Customer.openid == openid))


async def _count(stack: InboundStack, model: Any) -> int:
    async with stack.resources.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _probe_events(stack: InboundStack, name: str) -> list[tuple[str, bytes]]:
    await stack.bus.declare(Topology(queues=[Queue(name, [(EVENTS, "customer.#")])]))
    seen: list[tuple[str, bytes]] = []

    async def probe(delivery: Any) -> None:
        seen.append((delivery.message.routing_key, delivery.message.body))
        await delivery.ack()

    await stack.bus.consume(name, probe)
    return seen


async def test_unbound_balance_link_page_verify_bound_balance(h5: InboundStack) -> None:
    events = await _probe_events(h5, "test.customer_events")
    outbound: list[OutboundRequested] = []

    async def collect(delivery: Any) -> None:
        outbound.append(OutboundRequested.from_bytes(delivery.message.body))
        await delivery.ack()

    await h5.bus.consume(DISPATCHER_ALERT, collect)
    openid = "oBindFlow1"

    link = await _bind_link(h5, openid, "余额")  # unbound: the binding link, not the help text
    async with _cookie_jar_client(h5) as browser:
        page, hidden = await _open(browser, link)
        assert page.status_code == 200
        assert "绑定身份" in page.text
        assert set(hidden) == {"t", "csrf"}
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src" not in csp  # no script may run at all
        assert "<script" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "httponly" in page.headers["set-cookie"].lower()

        wrong = await _submit(browser, hidden, password="000000")
        assert wrong.status_code == 422
        assert "不匹配" in wrong.text
        assert "还可尝试 4 次" in wrong.text
        assert "000000" not in wrong.text

        done = await _submit(browser, hidden)
        assert done.status_code == 200, done.text
        assert "绑定成功" in done.text

        replay = await _submit(browser, hidden)
        assert replay.status_code == 410
        assert "已使用" in replay.text
        assert "绑定" in replay.text
        reopened = await browser.get(link)
        assert reopened.status_code == 410

    customer = await _customer(h5, openid)
    assert customer is not None
    assert customer.binding_state == "bound"
    assert opened(h5.resources.secret_box, customer.customer_no_enc) == "C00000002"
    assert customer.customer_no_token == h5.resources.secret_box.token("C00000002", PURPOSE)
    await eventually(lambda: events, what="customer.bound")
    assert events[0][0] == "customer.bound"
    assert CustomerBound.from_bytes(events[0][1]).openid == openid
    await eventually(lambda: outbound, what="the confirmation in chat")
    assert outbound[0].openid == openid
    assert outbound[0].origin == "binding"
    assert outbound[0].custom_message is not None
    assert "成功绑定" in outbound[0].custom_message["text"]["content"]
    # Nothing the user typed went on the bus.
    on_bus = b"".join(body for _, body in events) + b"".join(m.to_bytes() for m in outbound)
    for value in IDENTITY.values():
        assert value.encode() not in on_bus

    balance = (await _chat(h5, openid, "余额"))["Content"]
    assert "************4321" in balance
    assert IDENTITY["card_no"] not in balance
    assert "8800.00" in balance
    assert "数据时间：2025-06-30 15:00" in balance
    history = (await _chat(h5, openid, "明细"))["Content"]
    assert "货币基金收益" in history
    assert "数据时间：2025-06-30 15:00" in history
    assert IDENTITY["card_no"] not in history


async def test_bind_menu_key_answers_with_the_link(h5: InboundStack) -> None:
    xml = h5.pusher.event("oMenuBind", "CLICK", EventKey="BIND")
    fields = h5.reply_fields(await h5.post(xml))
    assert fields["MsgType"] == "news"
    assert "/h5/bind?t=" in fields["Articles"]["item"][0]["Url"]


async def test_forged_and_expired_links_are_refused(h5: InboundStack) -> None:
    link = await _bind_link(h5, "oForge")
    token = link.split("t=", 1)[1]
    forged = await h5.client.get("/h5/bind", params={"t": token[:-3] + "AAA"})
    assert forged.status_code == 400
    assert "无效" in forged.text
    assert "绑定" in forged.text
    other_key = H5LinkSigner("not-our-key").issue("demo", "oForge", "bind")
    assert (await h5.client.get("/h5/bind", params={"t": other_key})).status_code == 400
    expired = H5LinkSigner(SECRET_KEY, ttl_s=-1).issue("demo", "oForge", "bind")
    page = await h5.client.get("/h5/bind", params={"t": expired})
    assert page.status_code == 410
    assert "已过期" in page.text
    post = await h5.client.post("/h5/bind", data={"t": expired, "csrf": "x", **IDENTITY})
    assert post.status_code == 410
    assert await _customer(h5, "oForge") is None


async def test_missing_or_foreign_csrf_is_refused_and_nothing_bound(h5: InboundStack) -> None:
    link = await _bind_link(h5, "oCsrf")
    async with _cookie_jar_client(h5) as browser, _cookie_jar_client(h5) as attacker:
        _, hidden = await _open(browser, link)
        without = await browser.post("/h5/bind", data={"t": hidden["t"], **IDENTITY})
        assert without.status_code == 403
        # The right form token from another browser (no matching cookie).
        foreign = await _submit(attacker, hidden)
        assert foreign.status_code == 403
    assert await _customer(h5, "oCsrf") is None
    assert await _count(h5, H5LinkUse) == 0


async def test_five_failures_lock_binding_audited_and_evented(h5: InboundStack) -> None:
    events = await _probe_events(h5, "test.lock_events")
    openid = "oLockMe"
    link = await _bind_link(h5, openid)
    async with _cookie_jar_client(h5) as browser:
        _, hidden = await _open(browser, link)
        statuses = [
            (await _submit(browser, hidden, password="111111")).status_code for _ in range(5)
        ]
        assert statuses == [422, 422, 422, 422, 403]
        # Locked: even the right identity, even with a fresh link, is refused.
        right = await _submit(browser, hidden)
        assert right.status_code == 403
        assert "锁定" in right.text
        fresh = await browser.get(await _bind_link(h5, openid))
        assert fresh.status_code == 403
    assert (await _customer(h5, openid)) is None
    async with h5.resources.sessions() as session:
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "customer.binding_locked")
            )
        ).all()
    assert [a.entity_id for a in audit] == [openid]
    await eventually(lambda: events, what="customer.binding_locked")
    locked = CustomerBindingLocked.from_bytes(events[0][1])
    assert (events[0][0], locked.openid, locked.failures) == (
        "customer.binding_locked",
        openid,
        5,
    )
    # Another follower is not affected.
    other = await _bind_link(h5, "oNotLocked")
    assert (await h5.client.get(other)).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"id_number": "<script>alert(1)</script>"},
        {"card_no": '"><img src=x onerror=alert(1)>'},
        {"password": "<b>1</b>"},
        {"id_number": "110101199003070012"},  # wrong check digit
        {"card_no": "6217"},
    ],
    ids=["script-id", "html-card", "html-password", "id-checksum", "short-card"],
)
async def test_bad_fields_are_refused_escaped_and_nothing_stored(
    h5: InboundStack, fields: dict[str, str]
) -> None:
    link = await _bind_link(h5, "oBadFields")
    async with _cookie_jar_client(h5) as browser:
        _, hidden = await _open(browser, link)
        response = await _submit(browser, hidden, **fields)
    assert response.status_code == 400
    assert "格式不正确" in response.text or "6 位数字" in response.text
    for value in fields.values():
        assert value not in response.text
    assert "<script>alert" not in response.text
    assert await _customer(h5, "oBadFields") is None
    assert await _count(h5, BindingFailure) == 0
    assert await _count(h5, H5LinkUse) == 0


async def test_oversized_or_non_form_bodies_are_refused(h5: InboundStack) -> None:
    link = await _bind_link(h5, "oHuge")
    async with _cookie_jar_client(h5) as browser:
        _, hidden = await _open(browser, link)
        huge = await _submit(browser, hidden, card_no="6" * 10_000)
        assert huge.status_code == 413
        as_json = await browser.post("/h5/bind", json={**hidden, **IDENTITY})
        assert as_json.status_code == 400
    assert await _customer(h5, "oHuge") is None


async def test_core_system_down_while_binding_counts_no_failure(
    h5: InboundStack, core_sandbox: Any
) -> None:
    link = await _bind_link(h5, "oCoreDown")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{core_sandbox.port}") as core:
        fault = {"path": "/v1/identity/verify", "http_status": 503, "count": 1}
        assert (await core.post("/__sandbox__/faults", json=fault)).status_code < 300
    async with _cookie_jar_client(h5) as browser:
        _, hidden = await _open(browser, link)
        busy = await _submit(browser, hidden)
        assert busy.status_code == 503
        assert "稍后再试" in busy.text
        assert await _count(h5, BindingFailure) == 0
        again = await _submit(browser, hidden)  # same link still usable
        assert again.status_code == 200


async def test_expired_link_uses_and_old_failures_are_purged(make_stack: Any) -> None:
    stack: InboundStack = await make_stack(h5_base_url=BASE, h5_purge_interval_s=0.1)
    now = datetime.now(UTC)
    async with stack.resources.sessions.begin() as session:
        account_id = await session.scalar(select(Account.id).where(Account.code == "demo"))
        assert account_id is not None
        session.add_all(
            [
                H5LinkUse(
                    nonce="old",
                    account="demo",
                    openid="o1",
                    page="bind",
                    expires_at=now - timedelta(minutes=1),
                ),
                H5LinkUse(
                    nonce="live",
                    account="demo",
                    openid="o1",
                    page="bind",
                    expires_at=now + timedelta(minutes=5),
                ),
                BindingFailure(account_id=account_id, openid="o1", at=now - timedelta(days=2)),
                BindingFailure(account_id=account_id, openid="o1", at=now - timedelta(hours=1)),
            ]
        )

    async def remaining() -> bool:
        return await _count(stack, H5LinkUse) == 1 and await _count(stack, BindingFailure) == 1

    await eventually(remaining, what="the purge")
    async with stack.resources.sessions() as session:
        assert await session.scalar(select(H5LinkUse.nonce)) == "live"


async def _bind(stack: InboundStack, openid: str) -> None:
    async with _cookie_jar_client(stack) as browser:
        _, hidden = await _open(browser, await _bind_link(stack, openid))
        assert (await _submit(browser, hidden)).status_code == 200


async def test_unbind_asks_to_confirm_then_removes_the_binding(h5: InboundStack) -> None:
    events = await _probe_events(h5, "test.unbind_events")
    openid = "oUnbind1"
    not_bound = await _chat(h5, openid, "解绑")
    assert not_bound["MsgType"] == "text"
    assert "尚未绑定" in not_bound["Content"]
    await _bind(h5, openid)

    fields = await _chat(h5, openid, "解绑")
    assert fields["MsgType"] == "news"
    link = urlsplit(fields["Articles"]["item"][0]["Url"])
    assert link.path == "/h5/unbind"
    async with _cookie_jar_client(h5) as browser:
        page, hidden = await _open(browser, f"{link.path}?{link.query}")
        assert page.status_code == 200
        assert "确认解除绑定" in page.text
        assert page.headers["cache-control"] == "no-store"
        customer = await _customer(h5, openid)
        assert customer is not None
        assert customer.binding_state == "bound"  # only showing the page changes nothing
        # A binding link's token does not open the unbind page (and vice versa).
        bind_token = (await _bind_link(h5, openid)).split("t=", 1)[1]
        assert (await browser.get("/h5/unbind", params={"t": bind_token})).status_code == 400
        without_csrf = await browser.post("/h5/unbind", data={"t": hidden["t"]})
        assert without_csrf.status_code == 403
        done = await browser.post("/h5/unbind", data=hidden)
        assert done.status_code == 200
        assert "已解除绑定" in done.text
        replay = await browser.post("/h5/unbind", data=hidden)
        assert replay.status_code == 410
        assert "解绑" in replay.text

    customer = await _customer(h5, openid)
    assert customer is not None
    assert customer.binding_state == "unbound"
    assert (customer.customer_no_enc, customer.customer_no_token) == (None, None)
    balance = await _chat(h5, openid, "余额")
    assert balance["MsgType"] == "news"  # the binding link again
    async with h5.resources.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_id == openid)
                .order_by(AuditEntry.id)
            )
        ).all()
    assert actions == ["customer.bound", "customer.unbound"]
    await eventually(
        lambda: [key for key, _ in events if key == "customer.unbound"], what="customer.unbound"
    )


async def test_english_toggle_keeps_the_language_through_the_form(h5: InboundStack) -> None:
    link = await _bind_link(h5, "oEnglish")
    async with _cookie_jar_client(h5) as browser:
        chinese, _ = await _open(browser, link)
        toggle = re.search(r'<p class="toggle"><a href="([^"]+)">English</a>', chinese.text)
        assert toggle is not None
        english, hidden = await _open(browser, toggle.group(1).replace("&amp;", "&"))
        assert english.status_code == 200
        assert '<html lang="en">' in english.text
        assert "Link your identity" in english.text
        assert ">中文</a>" in english.text
        wrong = await _submit(browser, {**hidden, "lang": "en"}, password="000000")
        assert wrong.status_code == 422
        assert "4 tries left" in wrong.text
        done = await _submit(browser, {**hidden, "lang": "en"})
        assert done.status_code == 200
        assert "Linked" in done.text
