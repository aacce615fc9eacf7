"""SMS "http-json" channel: ``POST sms_url`` with ``{"message_id", "phone", "text"}``.

A 2xx answer with ``{"ok": true}`` is a delivery. The gateway is idempotent on ``message_id``
(the notification id), so every failure is safe to retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import httpx

from libs.common.sms_gateway import sms_request
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult

if TYPE_CHECKING:
    from services.dispatcher.channels import ChannelContext


class HttpJsonSms(Channel):
    """The company SMS gateway over HTTP+JSON (the UMP engine speaks the same shape)."""

    name: ClassVar[str] = "sms"
    network: ClassVar[str] = "sms"
    idempotent: ClassVar[bool] = True

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    def can_send(self, message: Outgoing) -> bool:
        """Needs a phone number and an SMS text."""
        return bool(message.phone and message.sms_text)

    async def send(self, message: Outgoing) -> SendResult:
        """POST the message; 2xx + ``ok: true`` is sent, anything else retryable."""
        assert message.phone is not None
        body = sms_request(message.message_id, message.phone, message.sms_text)
        try:
            response = await self._http.post(self._url, json=body)
        except httpx.HTTPError as exc:
            return SendResult(Outcome.RETRY, self.name, f"{type(exc).__name__}: {exc}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success and isinstance(answer, dict) and answer.get("ok") is True:
            provider_id = answer.get("id")
            return SendResult(
                Outcome.SENT, self.name, "ok", provider_id=str(provider_id) if provider_id else None
            )
        error = answer.get("error") if isinstance(answer, dict) else None
        detail = f"HTTP {response.status_code}: {error or response.text[:200]}"
        # A 4xx other than 429 means the request itself is refused: repeating it cannot help.
        if 400 <= response.status_code < 500 and response.status_code != 429:
            return SendResult(Outcome.ERROR, self.name, detail)
        return SendResult(Outcome.RETRY, self.name, detail)


def build_sms(context: ChannelContext) -> Channel | None:
    """The SMS channel when ``sms_url`` is set."""
    url = context.settings.sms_url
    return HttpJsonSms(context.new_http(), url) if url else None
