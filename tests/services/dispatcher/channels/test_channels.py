"""Channel plugins against the loopback sandboxes, over the dispatcher's own HTTP transport:
each WeChat errcode and transport failure maps to the outcome §9 prescribes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.api.token import fetch_stable_token
from libs.common.wechat.client import WeChatClient
from services.dispatcher.channels import ChannelRegistry
from services.dispatcher.channels.base import Outcome, Outgoing
from services.dispatcher.channels.sms import HttpJsonSms
from services.dispatcher.channels.wechat import WeChatCustom, WeChatTemplate
from services.dispatcher.http.client import LeanAsyncClient
from services.dispatcher.http.transport import KeepAliveTransport
from tests.services.dispatcher.support import OPENID, PHONE, Sandboxes
from wxhub.demo.account import DEMO

TEMPLATE_PATH = "/cgi-bin/message/template/send"
CUSTOM_PATH = "/cgi-bin/message/custom/send"
MESSAGE = Outgoing(
    message_id="n-0001",
    account="demo",
    openid=OPENID,
    phone=PHONE,
    text="您的余额有变动",
    sms_text="【wxhub】您的余额有变动",
    template_id="TPL_BALANCE",
    template_data={"amount": {"value": "100.00"}},
)


class StableToken:
    """A token source that fetches one stable token from the sandbox and keeps it."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self._http = http
        self._base = base
        self._token: str | None = None

    async def get(self) -> str:
        if self._token is None:
            self._token, _ = await fetch_stable_token(
                self._http, self._base, DEMO.appid, DEMO.app_secret
            )
        return self._token

    async def invalidate(self, token: str) -> None:
        if self._token == token:
            self._token = None


@pytest.fixture
async def channels(boxes: Sandboxes) -> AsyncIterator[ChannelRegistry]:
    """The WeChat and SMS channels as the dispatcher builds them (lean transport, 3 s timeout:
    ample for the loopback sandboxes on a busy machine, short against the latency fault)."""
    http = LeanAsyncClient(KeepAliveTransport(max_connections=4), timeout=httpx.Timeout(3.0))
    api = MessageApi(
        WeChatClient(http, base_url=boxes.wechat_url, tokens=StableToken(http, boxes.wechat_url))
    )

    async def resolve(account: str) -> MessageApi:
        return api

    yield ChannelRegistry(
        [WeChatCustom(resolve), WeChatTemplate(resolve), HttpJsonSms(http, boxes.sms_url)]
    )
    await http.aclose()


def channel(registry: ChannelRegistry, name: str) -> WeChatCustom | WeChatTemplate | HttpJsonSms:
    found = registry.get(name)
    assert isinstance(found, WeChatCustom | WeChatTemplate | HttpJsonSms)
    return found


async def test_template_send_carries_client_msg_id_and_returns_msgid(
    channels: ChannelRegistry, boxes: Sandboxes
) -> None:
    template = channel(channels, "wechat_template")
    for _ in range(3):  # the same kept-alive connection serves consecutive sends
        result = await template.send(MESSAGE)
        assert result.outcome is Outcome.SENT
        assert result.provider_id is not None
    sent = [d for d in boxes.wx.deliveries if d.kind == "template"]
    # client_msg_id makes the repeats one message (45065 answers as success).
    assert len(sent) == 1
    assert sent[0].body["client_msg_id"] == "n-0001"
    assert sent[0].body["data"]["amount"] == {"value": "100.00"}


async def test_custom_send_delivers_unicode_text(
    channels: ChannelRegistry, boxes: Sandboxes
) -> None:
    result = await channel(channels, "wechat_custom").send(MESSAGE)
    assert result.outcome is Outcome.SENT
    [sent] = [d for d in boxes.wx.deliveries if d.kind == "custom"]
    assert sent.body["text"]["content"] == "您的余额有变动"  # not \\u-escaped (40033)


@pytest.mark.parametrize(
    ("fault", "template_outcome", "custom_outcome"),
    [
        ({"errcode": -1}, Outcome.RETRY, Outcome.UNKNOWN),
        ({"http_status": 503}, Outcome.RETRY, Outcome.UNKNOWN),
        ({"latency_ms": 6000}, Outcome.RETRY, Outcome.UNKNOWN),
        ({"errcode": 45009}, Outcome.QUOTA, Outcome.QUOTA),
        ({"errcode": 45011}, Outcome.THROTTLED, Outcome.THROTTLED),
        ({"errcode": 43101}, Outcome.RECIPIENT, Outcome.RECIPIENT),
        ({"errcode": 45015}, Outcome.NEXT_CHANNEL, Outcome.NEXT_CHANNEL),
        ({"errcode": 45047}, Outcome.NEXT_CHANNEL, Outcome.NEXT_CHANNEL),
    ],
)
async def test_wechat_failures_are_classified(
    channels: ChannelRegistry,
    boxes: Sandboxes,
    fault: dict[str, int],
    template_outcome: Outcome,
    custom_outcome: Outcome,
) -> None:
    for path, name, expected in (
        (TEMPLATE_PATH, "wechat_template", template_outcome),
        (CUSTOM_PATH, "wechat_custom", custom_outcome),
    ):
        boxes.wx.faults.add({"path": path, "count": 1, **fault})
        result = await channel(channels, name).send(MESSAGE)
        assert result.outcome is expected, (name, fault, result)
        assert not result.sent


async def test_unfollowed_user_is_a_recipient_verdict(
    channels: ChannelRegistry, boxes: Sandboxes
) -> None:
    boxes.wx.unsubscribed = {OPENID}
    result = await channel(channels, "wechat_template").send(MESSAGE)
    assert (result.outcome, result.errcode) == (Outcome.RECIPIENT, 43004)


async def test_expired_token_is_refreshed_and_the_send_retried_once(
    channels: ChannelRegistry, boxes: Sandboxes
) -> None:
    template = channel(channels, "wechat_template")
    assert (await template.send(MESSAGE)).sent
    boxes.wx.expire_tokens()
    other = replace(MESSAGE, message_id="n-0002")
    assert (await template.send(other)).sent
    outcomes = [c.outcome for c in boxes.wx.calls.find(TEMPLATE_PATH)]
    assert outcomes == ["0", "42001", "0"]


async def test_wechat_channels_need_an_openid(channels: ChannelRegistry) -> None:
    no_openid = replace(MESSAGE, openid=None)
    assert not channel(channels, "wechat_template").can_send(no_openid)
    assert not channel(channels, "wechat_custom").can_send(no_openid)
    no_template = replace(MESSAGE, template_id="")
    assert not channel(channels, "wechat_template").can_send(no_template)


async def test_sms_is_sent_once_per_message_id(channels: ChannelRegistry, boxes: Sandboxes) -> None:
    sms = channel(channels, "sms")
    first = await sms.send(MESSAGE)
    again = await sms.send(MESSAGE)
    assert first.outcome is again.outcome is Outcome.SENT
    assert boxes.sms.delivered == 1
    assert boxes.sms.messages["n-0001"].text == "【wxhub】您的余额有变动"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(503, Outcome.RETRY), (429, Outcome.RETRY), (400, Outcome.ERROR)],
)
async def test_sms_failures_are_classified(
    channels: ChannelRegistry, boxes: Sandboxes, status: int, expected: Outcome
) -> None:
    boxes.sms.faults.add({"path": "/send", "http_status": status, "count": 1})
    result = await channel(channels, "sms").send(MESSAGE)
    assert result.outcome is expected
    assert boxes.sms.delivered == 0


async def test_unreachable_sms_gateway_is_retryable() -> None:
    async with LeanAsyncClient(KeepAliveTransport(), timeout=httpx.Timeout(1.0)) as http:
        result = await HttpJsonSms(http, "http://127.0.0.1:9/send").send(MESSAGE)
    assert result.outcome is Outcome.RETRY
    assert "ConnectError" in result.detail


def test_sms_needs_a_phone_and_a_text() -> None:
    sms = HttpJsonSms(httpx.AsyncClient(), "http://unused")
    assert not sms.can_send(replace(MESSAGE, phone=None))
    assert not sms.can_send(replace(MESSAGE, sms_text=""))
