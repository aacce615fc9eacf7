"""WeChat channels: customer-service messages (§8.2) and template messages (§8.3).

Errcodes are classified per docs/wechat-protocol.md §9. Token errors are already handled inside the
client (compare-and-invalidate, one refresh, one retry); one that persists is retryable. A
customer-service send has no idempotency key, so after a timeout or ``-1`` its fate is
``UNKNOWN`` rather than ``RETRY``; template sends carry ``client_msg_id`` and are retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from libs.common.wechat.api.message import MessageApi
from libs.common.wechat.errors import (
    ErrorAction,
    ErrorCode,
    WeChatApiError,
    WeChatTransportError,
)
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult

if TYPE_CHECKING:
    from services.dispatcher.channels import ChannelContext

# Resolves an account code to the message API of that account (its own token lease).
ApiResolver = Callable[[str], Awaitable[MessageApi]]

_ACTION_OUTCOMES: dict[ErrorAction, Outcome] = {
    ErrorAction.REFRESH_TOKEN: Outcome.RETRY,
    ErrorAction.RETRY_BACKOFF: Outcome.RETRY,
    ErrorAction.THROTTLE: Outcome.THROTTLED,
    ErrorAction.RETRY_LATER: Outcome.THROTTLED,
    ErrorAction.QUOTA_EXHAUSTED: Outcome.QUOTA,
    ErrorAction.FALLBACK: Outcome.NEXT_CHANNEL,
    ErrorAction.RECIPIENT_PERMANENT: Outcome.RECIPIENT,
}


class _WeChatChannel(Channel):
    network: ClassVar[str] = "wechat"

    def __init__(self, apis: ApiResolver) -> None:
        self._apis = apis

    def classify(self, exc: WeChatApiError | WeChatTransportError) -> SendResult:
        """Turn a client error into the outcome §9 prescribes for this channel."""
        if isinstance(exc, WeChatTransportError):
            outcome = Outcome.RETRY if self.idempotent else Outcome.UNKNOWN
            return SendResult(outcome, self.name, str(exc))
        outcome = _ACTION_OUTCOMES.get(exc.action, Outcome.ERROR)
        if outcome is Outcome.RETRY and not self.idempotent and exc.code is ErrorCode.SYSTEM_BUSY:
            outcome = Outcome.UNKNOWN
        return SendResult(outcome, self.name, f"{exc.errcode} {exc.errmsg}", errcode=exc.errcode)


class WeChatCustom(_WeChatChannel):
    """Customer-service message: free text inside the user's interaction window."""

    name: ClassVar[str] = "wechat_custom"
    idempotent: ClassVar[bool] = False
    windowed: ClassVar[bool] = True

    def can_send(self, message: Outgoing) -> bool:
        """Needs an openid and either a prepared message body or a text."""
        return bool(message.openid and (message.custom_message or message.text))

    async def send(self, message: Outgoing) -> SendResult:
        """One ``/cgi-bin/message/custom/send`` call."""
        assert message.openid is not None
        body = message.custom_message or {"msgtype": "text", "text": {"content": message.text}}
        body = {k: v for k, v in body.items() if k != "touser"}
        api = await self._apis(message.account)
        try:
            await api.send_custom(message.openid, body)
        except (WeChatApiError, WeChatTransportError) as exc:
            return self.classify(exc)
        return SendResult(Outcome.SENT, self.name, "ok")


class WeChatMass(_WeChatChannel):
    """Mass send by OpenID list with ``clientmsgid`` = message id (45065: already sent = done)."""

    name: ClassVar[str] = "wechat_mass"
    idempotent: ClassVar[bool] = True

    def can_send(self, message: Outgoing) -> bool:
        """Needs 2..10,000 OpenIDs and a message body."""
        return 2 <= len(message.openids) <= 10_000 and bool(message.custom_message)

    async def send(self, message: Outgoing) -> SendResult:
        """One ``/cgi-bin/message/mass/send`` call for the whole list."""
        assert message.custom_message is not None
        msgtype = str(message.custom_message["msgtype"])
        api = await self._apis(message.account)
        try:
            answer = await api.mass_send(
                message.openids,
                msgtype,
                message.custom_message[msgtype],
                clientmsgid=message.message_id,
            )
        except (WeChatApiError, WeChatTransportError) as exc:
            return self.classify(exc)
        return SendResult(Outcome.SENT, self.name, "ok", provider_id=str(answer.get("msg_id", "")))


class WeChatTemplate(_WeChatChannel):
    """Template message with ``client_msg_id`` = message id, so retries never duplicate."""

    name: ClassVar[str] = "wechat_template"
    idempotent: ClassVar[bool] = True

    def can_send(self, message: Outgoing) -> bool:
        """Needs an openid and a template id."""
        return bool(message.openid and message.template_id)

    async def send(self, message: Outgoing) -> SendResult:
        """One ``/cgi-bin/message/template/send`` call."""
        assert message.openid is not None
        api = await self._apis(message.account)
        try:
            msgid = await api.send_template(
                message.openid,
                message.template_id,
                message.template_data,
                url=message.template_url or None,
                client_msg_id=message.message_id,
            )
        except (WeChatApiError, WeChatTransportError) as exc:
            return self.classify(exc)
        return SendResult(Outcome.SENT, self.name, "ok", provider_id=str(msgid))


def build_custom(context: ChannelContext) -> Channel:
    """Customer-service messages of the configured accounts."""
    return WeChatCustom(context.wechat_apis)


def build_template(context: ChannelContext) -> Channel:
    """Template messages of the configured accounts."""
    return WeChatTemplate(context.wechat_apis)


def build_mass(context: ChannelContext) -> Channel:
    """Mass sends by OpenID list of the configured accounts."""
    return WeChatMass(context.wechat_apis)
