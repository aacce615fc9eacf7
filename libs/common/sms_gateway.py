"""The SMS gateway's HTTP protocol (the sandbox in ``sandboxes/sms.py`` speaks it):
``POST <url>`` with ``{"message_id", "phone", "text"}``; ``2xx {"ok": true, "id": …}`` means
accepted, and a repeated ``message_id`` is delivered once."""

from __future__ import annotations

import httpx


class SmsNotSent(Exception):
    """The gateway could not be reached or did not accept the message."""


def sms_request(message_id: str, phone: str, text: str) -> dict[str, str]:
    """The request body for one text message."""
    return {"message_id": message_id, "phone": phone, "text": text}


async def send_sms(
    http: httpx.AsyncClient, url: str, *, message_id: str, phone: str, text: str
) -> None:
    """Send one text message; raises :class:`SmsNotSent` unless the gateway accepted it."""
    try:
        response = await http.post(url, json=sms_request(message_id, phone, text))
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SmsNotSent(type(exc).__name__) from exc
    if not (response.is_success and isinstance(answer, dict) and answer.get("ok") is True):
        raise SmsNotSent(f"HTTP {response.status_code}")
