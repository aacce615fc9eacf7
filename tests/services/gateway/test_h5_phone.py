"""Phone binding (绑定手机): "绑定手机" → signed link → /h5/phone → code by SMS (the SMS sandbox)
→ code entered → the number stored encrypted on the customer. Codes are stored hashed, expire,
allow 5 tries, and a new one is throttled."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from libs.common.db.models import AuditEntry, Customer, PhoneCode
from libs.common.secret_box import SecretBox
from sandboxes import sms as sms_sandbox
from sandboxes.server import RunningServer
from tests.services.gateway.support import BASE, code_sent, h5_browser, open_linked_page
from tests.services.support import SECRET_KEY, InboundStack

_ids = itertools.count(7_500_000_000_000_000_000)
PHONE = "13912345678"


@pytest.fixture
async def h5(make_stack: Any, sms: tuple[sms_sandbox.SmsState, RunningServer]) -> InboundStack:
    stack: InboundStack = await make_stack(h5_base_url=BASE, sms_url=f"{sms[1].url}/send")
    return stack


class Phone:
    """One follower's browser on the phone page."""

    def __init__(self, stack: InboundStack, browser: httpx.AsyncClient) -> None:
        self.stack = stack
        self.browser = browser
        self.hidden: dict[str, str] = {}

    async def open(self, openid: str) -> httpx.Response:
        page = await open_linked_page(
            self.stack, self.browser, openid, "绑定手机", msg_id=next(_ids)
        )
        assert page.path == "/h5/phone"
        self.hidden = page.hidden
        return page.response

    async def send(self, phone: str = PHONE) -> httpx.Response:
        data = {**self.hidden, "action": "send", "phone": phone}
        return await self.browser.post("/h5/phone", data=data)

    async def verify(self, code: str) -> httpx.Response:
        data = {**self.hidden, "action": "verify", "code": code}
        return await self.browser.post("/h5/phone", data=data)


@pytest.fixture
async def phone(h5: InboundStack) -> AsyncIterator[Phone]:
    async with h5_browser(h5) as browser:
        yield Phone(h5, browser)


async def _pending(stack: InboundStack) -> list[PhoneCode]:
    async with stack.resources.sessions() as session:
        return list(await session.scalars(select(PhoneCode)))


async def _customer(stack: InboundStack, openid: str) -> Customer | None:
    async with stack.resources.sessions() as session:
        return await session.scalar(select(Customer).where(Customer.openid == openid))


async def test_code_by_sms_binds_the_number_encrypted(
    phone: Phone, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    page = await phone.open("oPhoneOk")
    assert page.status_code == 200
    assert "绑定手机" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    sent = await phone.send()
    assert sent.status_code == 200, sent.text
    assert "验证码已发送至 139****5678" in sent.text
    assert PHONE not in sent.text
    code = code_sent(state, PHONE)
    [row] = await _pending(phone.stack)
    # Neither the code nor the number is stored readable.
    assert code not in row.code_hash
    assert PHONE not in row.phone_enc

    done = await phone.verify(code)
    assert done.status_code == 200, done.text
    assert "139****5678 已绑定" in done.text
    customer = await _customer(phone.stack, "oPhoneOk")
    assert customer is not None
    assert customer.phone is None
    assert customer.phone_enc is not None
    assert PHONE not in customer.phone_enc
    assert SecretBox(SECRET_KEY).decrypt(customer.phone_enc) == PHONE
    assert await _pending(phone.stack) == []
    async with phone.stack.resources.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "customer.phone_bound")
        )
    assert audit is not None
    assert audit.after == {"account": "demo", "phone": "139****5678"}
    # The link is used up.
    assert (await phone.verify(code)).status_code in (400, 410)


async def test_five_wrong_codes_kill_the_code(
    phone: Phone, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    await phone.open("oPhoneWrong")
    await phone.send()
    code = code_sent(state, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        answer = await phone.verify(wrong)
        assert answer.status_code == 422
        assert f"还可尝试 {left} 次" in answer.text
    last = await phone.verify(wrong)
    assert last.status_code == 403
    assert "错误次数过多" in last.text
    # Even the right code is refused now.
    assert (await phone.verify(code)).status_code == 403
    customer = await _customer(phone.stack, "oPhoneWrong")
    assert customer is None or customer.phone_enc is None


async def test_resend_is_throttled_and_a_new_code_replaces_the_old(
    phone: Phone, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    await phone.open("oPhoneResend")
    await phone.send()
    first = code_sent(state, PHONE)
    again = await phone.send()
    assert again.status_code == 429
    assert "秒后再重新获取" in again.text
    assert len(state.messages) == 1
    # A minute later (the row says when it was sent), the number left empty: sent again there.
    async with phone.stack.resources.sessions.begin() as session:
        await session.execute(
            update(PhoneCode).values(sent_at=datetime.now(UTC) - timedelta(seconds=61))
        )
    resent = await phone.send(phone="")
    assert resent.status_code == 200, resent.text
    assert len(state.messages) == 2
    second = code_sent(state, PHONE)
    if first != second:
        assert (await phone.verify(first)).status_code == 422
    assert (await phone.verify(second)).status_code == 200


async def test_an_expired_code_is_refused(
    phone: Phone, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    await phone.open("oPhoneLate")
    await phone.send()
    code = code_sent(state, PHONE)
    async with phone.stack.resources.sessions.begin() as session:
        await session.execute(
            update(PhoneCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    late = await phone.verify(code)
    assert late.status_code == 410
    assert "已过期" in late.text
    assert await _pending(phone.stack) == []


async def test_bad_input_and_a_failing_sms_gateway_store_nothing(
    phone: Phone, sms: tuple[sms_sandbox.SmsState, RunningServer]
) -> None:
    state, _ = sms
    await phone.open("oPhoneBad")
    for bad in ("12345", "1391234567a", "<script>alert(1)</script>", "2" * 11):
        answer = await phone.send(phone=bad)
        assert answer.status_code == 400
        assert "<script>" not in answer.text
    assert (await phone.send(phone="")).status_code == 400  # no number, no code pending
    assert (await phone.verify("12ab56")).status_code == 400
    assert (await phone.verify("123456")).status_code == 400  # no code asked for yet
    no_csrf = await phone.browser.post(
        "/h5/phone", data={"t": phone.hidden["t"], "action": "send", "phone": PHONE}
    )
    assert no_csrf.status_code == 403
    state.faults.add({"path": "/send", "http_status": 503, "count": 1})
    down = await phone.send()
    assert down.status_code == 503
    assert "短信暂时无法发送" in down.text
    assert await _pending(phone.stack) == []
    assert len(state.messages) == 0
    # Nothing pending, so asking again right away works.
    assert (await phone.send()).status_code == 200
    async with phone.stack.resources.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(PhoneCode)) == 1
