"""Prospects (R-EN-8): "申请" → signed link → /h5/apply → code by SMS (the SMS sandbox) →
application stored → "进度" in chat shows it. Bad input gets a clear page and stores nothing;
applications and code sends count against the day's caps (R-EN-10)."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from libs.common.applications import REVIEWING, move
from libs.common.db.models import Application, AuditEntry, OperationCount, PhoneCode
from libs.common.secret_box import SecretBox
from sandboxes import sms as sms_sandbox
from sandboxes.server import RunningServer
from services.gateway.settings import GatewaySettings
from tests.services.gateway.support import BASE, code_sent, h5_browser, open_linked_page
from tests.services.support import SECRET_KEY, InboundStack

_ids = itertools.count(7_800_000_000_000_000_000)
PHONE = "13987654321"


@pytest.fixture
async def make_h5(make_stack: Any, sms: tuple[sms_sandbox.SmsState, RunningServer]) -> Any:
    async def start(**overrides: Any) -> InboundStack:
        stack: InboundStack = await make_stack(
            h5_base_url=BASE, sms_url=f"{sms[1].url}/send", **overrides
        )
        return stack

    return start


@pytest.fixture
async def h5(make_h5: Any) -> InboundStack:
    stack: InboundStack = await make_h5()
    return stack


class Applicant:
    """One follower's browser on the application page."""

    def __init__(self, stack: InboundStack, browser: httpx.AsyncClient, openid: str) -> None:
        self.stack = stack
        self.browser = browser
        self.openid = openid
        self.hidden: dict[str, str] = {}

    async def chat(self, text: str) -> dict[str, Any]:
        reply = await self.stack.post(self.stack.pusher.text(self.openid, text, msg_id=next(_ids)))
        return self.stack.reply_fields(reply)

    async def open(self) -> httpx.Response:
        page = await open_linked_page(
            self.stack, self.browser, self.openid, "申请", msg_id=next(_ids)
        )
        assert page.path == "/h5/apply"
        self.hidden = page.hidden
        return page.response

    async def send(self, phone: str = PHONE, **fields: str) -> httpx.Response:
        data = {**self.hidden, "action": "send", "phone": phone, **fields}
        return await self.browser.post("/h5/apply", data=data)

    async def submit(
        self, code: str, name: str = "张小明", product: str = "credit_card", **fields: str
    ) -> httpx.Response:
        data = {
            **self.hidden,
            "action": "submit",
            "name": name,
            "product": product,
            "code": code,
            **fields,
        }
        return await self.browser.post("/h5/apply", data=data)


@pytest.fixture
async def browser(h5: InboundStack) -> AsyncIterator[httpx.AsyncClient]:
    async with h5_browser(h5) as client:
        yield client


async def _count(stack: InboundStack, model: Any) -> int:
    async with stack.resources.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _applications(stack: InboundStack) -> list[Application]:
    async with stack.resources.sessions() as session:
        return list(await session.scalars(select(Application).order_by(Application.id)))


async def test_apply_with_a_code_then_progress_in_chat(
    h5: InboundStack, browser: httpx.AsyncClient, sms: tuple[sms_sandbox.SmsState, Any]
) -> None:
    state, _ = sms
    applicant = Applicant(h5, browser, "oProspect1")
    assert (await applicant.chat("进度"))["Content"].startswith("您还没有提交过申请")

    page = await applicant.open()
    assert page.status_code == 200
    assert '<option value="platinum_card">白金信用卡</option>' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text

    sent = await applicant.send(name="张小明", product="platinum_card")
    assert sent.status_code == 200, sent.text
    assert "验证码已发送至 139****4321" in sent.text
    assert 'value="张小明"' in sent.text  # a valid name is kept for the second step
    assert '<option value="platinum_card" selected>' in sent.text
    assert PHONE not in sent.text
    code = code_sent(state, PHONE)
    assert "业务申请" in next(iter(state.messages.values())).text

    wrong = await applicant.submit("000000" if code != "000000" else "111111")
    assert wrong.status_code == 422
    assert "还可尝试 4 次" in wrong.text
    assert await _applications(h5) == []

    done = await applicant.submit(code, product="platinum_card")
    assert done.status_code == 200, done.text
    assert "申请已提交" in done.text
    [application] = await _applications(h5)
    number = re.search(r"AP\d{14}", done.text)
    assert number is not None
    assert number.group(0).endswith(f"{application.id:06d}")
    assert application.name == "张小明"
    assert application.product == "platinum_card"
    assert application.product_name == "白金信用卡"
    assert application.status == "submitted"
    assert PHONE not in application.phone_enc
    assert SecretBox(SECRET_KEY).decrypt(application.phone_enc) == PHONE
    assert await _count(h5, PhoneCode) == 0
    async with h5.resources.sessions() as session:
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "application.submitted")
        )
        counted = await session.scalar(
            select(OperationCount.count).where(OperationCount.operation == "application")
        )
    assert audit is not None
    assert audit.after == {"account": "demo", "product": "platinum_card", "phone": "139****4321"}
    assert counted == 1

    replay = await applicant.submit(code, product="platinum_card")
    assert replay.status_code == 410
    assert "申请" in replay.text

    progress = (await applicant.chat("进度"))["Content"]
    assert f"白金信用卡（申请编号 {number.group(0)}）" in progress
    assert "状态：已提交，等待受理" in progress

    async with h5.resources.sessions.begin() as session:
        row = await session.get(Application, application.id)
        assert row is not None
        move(row, REVIEWING, "资料已收到，预计 3 个工作日内完成审核")
    progress = (await applicant.chat("申请进度"))["Content"]
    assert "状态：审核中" in progress
    assert "说明：资料已收到，预计 3 个工作日内完成审核" in progress
    # Someone else sees none of it.
    other = Applicant(h5, browser, "oProspectOther")
    assert (await other.chat("进度"))["Content"].startswith("您还没有提交过申请")


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"name": "<script>alert(1)</script>"}, 400, "请填写 2 至 32 个字的姓名"),
        ({"name": '张三"><img src=x onerror=alert(1)>'}, 400, "请填写 2 至 32 个字的姓名"),
        ({"name": "张" * 33}, 400, "请填写 2 至 32 个字的姓名"),
        ({"name": "张" * 2000}, 413, "提交的内容超出限制"),
        ({"product": "mortgage"}, 400, "请选择申请的产品"),
        ({"product": "<b>credit_card</b>"}, 400, "请选择申请的产品"),
        ({"code": "12ab56"}, 400, "验证码应为 6 位数字"),
        ({"code": "1234567"}, 400, "验证码应为 6 位数字"),
        ({"action": "delete"}, 400, "无法识别的提交"),
        ({"csrf": ""}, 403, "页面校验失败"),
        ({"csrf": "0" * 64}, 403, "页面校验失败"),
        ({"t": "forged.token"}, 400, "链接无效"),
    ],
)
async def test_bad_input_gets_a_clear_page_and_nothing_is_stored(
    h5: InboundStack,
    browser: httpx.AsyncClient,
    sms: tuple[sms_sandbox.SmsState, Any],
    fields: dict[str, str],
    status: int,
    says: str,
) -> None:
    applicant = Applicant(h5, browser, "oProspectBad")
    await applicant.open()
    assert (await applicant.send()).status_code == 200
    code = code_sent(sms[0], PHONE)
    answer = await applicant.submit(**{"code": code, **fields})
    assert answer.status_code == status, answer.text
    assert says in answer.text
    assert "<script>" not in answer.text
    assert "<img" not in answer.text
    assert await _applications(h5) == []
    # The code is still waiting, untouched (a malformed post spends no try).
    async with h5.resources.sessions() as session:
        [pending] = list(await session.scalars(select(PhoneCode)))
    assert pending.tries == 0
    # The link was not used up: the right submission still goes through.
    assert (await applicant.submit(code)).status_code == 200


@pytest.mark.parametrize("phone", ["1398765432", "23987654321", "139-8765-4321x", "<b>1</b>"])
async def test_malformed_numbers_get_no_code(
    h5: InboundStack,
    browser: httpx.AsyncClient,
    sms: tuple[sms_sandbox.SmsState, Any],
    phone: str,
) -> None:
    applicant = Applicant(h5, browser, "oProspectPhone")
    await applicant.open()
    answer = await applicant.send(phone)
    assert answer.status_code == 400
    assert "请填写 11 位手机号码" in answer.text
    assert await _count(h5, PhoneCode) == 0
    assert sms[0].messages == {}


async def test_missing_csrf_cookie_sends_nothing(
    h5: InboundStack, browser: httpx.AsyncClient, sms: tuple[sms_sandbox.SmsState, Any]
) -> None:
    applicant = Applicant(h5, browser, "oProspectCsrf")
    await applicant.open()
    async with h5_browser(h5) as attacker:
        data = {**applicant.hidden, "action": "send", "phone": PHONE}
        assert (await attacker.post("/h5/apply", data=data)).status_code == 403
    assert sms[0].messages == {}
    assert await _count(h5, PhoneCode) == 0


async def test_one_open_application_per_product(
    make_h5: Any, sms: tuple[sms_sandbox.SmsState, Any]
) -> None:
    stack: InboundStack = await make_h5(phone_code_resend_s=0)
    async with h5_browser(stack) as browser:
        applicant = Applicant(stack, browser, "oProspectTwice")
        await applicant.open()
        await applicant.send()
        assert (await applicant.submit(code_sent(sms[0], PHONE))).status_code == 200
        await applicant.open()
        await applicant.send()
        again = await applicant.submit(code_sent(sms[0], PHONE))
        assert again.status_code == 409
        assert "无需重复提交" in again.text
        # Another product is a new application.
        other = await applicant.submit(code_sent(sms[0], PHONE), product="fund_account")
        assert other.status_code == 200, other.text
    assert [a.product for a in await _applications(stack)] == ["credit_card", "fund_account"]


async def test_daily_caps_on_applications_and_code_sends(
    make_h5: Any, sms: tuple[sms_sandbox.SmsState, Any]
) -> None:
    stack: InboundStack = await make_h5(
        operation_daily_limits={"application": 1, "code_send": 2}, phone_code_resend_s=0
    )
    async with h5_browser(stack) as browser:
        applicant = Applicant(stack, browser, "oProspectCapped")
        await applicant.open()
        await applicant.send()
        assert (await applicant.submit(code_sent(sms[0], PHONE))).status_code == 200
        await applicant.open()
        await applicant.send()
        capped = await applicant.submit(code_sent(sms[0], PHONE), product="fund_account")
        assert capped.status_code == 429
        assert "您今日的提交申请次数已达上限（1 次）" in capped.text
        assert len(await _applications(stack)) == 1
        # The code was not spent on the refused application; code sends have their own cap.
        sends = await applicant.send()
        assert sends.status_code == 429
        assert "获取短信验证码次数已达上限（2 次）" in sends.text
    assert len(sms[0].messages) == 2


@pytest.mark.parametrize(
    "products",
    [{"Credit Card": "信用卡"}, {"x" * 33: "信用卡"}, {"credit_card": ""}, {"ok": "名" * 65}],
)
def test_products_that_do_not_fit_an_application_are_refused(products: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="application products"):
        GatewaySettings(application_products=products)
