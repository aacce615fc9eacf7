"""A plug-in channel for another OTT app, registered only through settings (R-OUT-8).

It posts ``{"message_id", "user", "text"}`` to ``channel_options["ott_demo"]["url"]``; a 200
with ``{"ok": true}`` is a delivery, a 404 means the user has no account on that app.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from services.dispatcher.channels import ChannelContext
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult


class OttDemo(Channel):
    """A chat app reached by openid, idempotent on the message id."""

    name: ClassVar[str] = "ott_demo"
    network: ClassVar[str] = "ott_demo"
    idempotent: ClassVar[bool] = True

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    def can_send(self, message: Outgoing) -> bool:
        """Needs an openid and a text."""
        return bool(message.openid and message.text)

    async def send(self, message: Outgoing) -> SendResult:
        """One POST."""
        body = {"message_id": message.message_id, "user": message.openid, "text": message.text}
        try:
            response = await self._http.post(self._url, json=body)
        except httpx.HTTPError as exc:
            return SendResult(Outcome.RETRY, self.name, str(exc))
        if response.status_code == 404:
            return SendResult(Outcome.NEXT_CHANNEL, self.name, "no such user")
        if response.is_success and response.json().get("ok") is True:
            return SendResult(Outcome.SENT, self.name, "ok")
        return SendResult(Outcome.RETRY, self.name, f"HTTP {response.status_code}")


def build(context: ChannelContext) -> Channel:
    """The factory named in the ``channels`` setting."""
    return OttDemo(context.new_http(), str(context.options("ott_demo")["url"]))
