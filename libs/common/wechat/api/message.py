"""Outbound messages: customer-service (§8.2), template (§8.3) and mass sends (§8.4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from libs.common.wechat.errors import WeChatTransportError

if TYPE_CHECKING:
    from libs.common.wechat.client import WeChatClient


class MessageApi:
    """Customer-service, template and mass-send calls."""

    def __init__(self, client: WeChatClient) -> None:
        self._client = client

    async def send_custom(self, openid: str, message: Mapping[str, Any]) -> None:
        """Send a customer-service message; ``message`` holds ``msgtype`` and its payload."""
        await self._client.post_json("/cgi-bin/message/custom/send", {**message, "touser": openid})

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None = None,
        client_msg_id: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
    ) -> int:
        """Send a template message; returns the ``msgid`` echoed by TEMPLATESENDJOBFINISH."""
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url is not None:
            payload["url"] = url
        if miniprogram is not None:
            payload["miniprogram"] = miniprogram
        if client_msg_id is not None:
            payload["client_msg_id"] = client_msg_id
        answer = await self._client.post_json("/cgi-bin/message/template/send", payload)
        msgid = answer.get("msgid")
        if not isinstance(msgid, int):
            raise WeChatTransportError("template send response lacks msgid")
        return msgid

    async def mass_send(
        self,
        openids: Sequence[str],
        msgtype: str,
        payload: Mapping[str, Any],
        clientmsgid: str,
        *,
        send_ignore_reprint: int = 0,
    ) -> dict[str, Any]:
        """Mass send to 2..10,000 OpenIDs; returns ``msg_id``/``msg_data_id`` of the job."""
        if not 2 <= len(openids) <= 10_000:
            raise ValueError("mass send by OpenID takes 2 to 10,000 recipients")
        body = {
            "touser": list(openids),
            "msgtype": msgtype,
            msgtype: payload,
            "send_ignore_reprint": send_ignore_reprint,
            "clientmsgid": clientmsgid,
        }
        return await self._client.post_json("/cgi-bin/message/mass/send", body)

    async def mass_sendall(
        self,
        tag_id: int | None,
        msgtype: str,
        payload: Mapping[str, Any],
        clientmsgid: str,
        *,
        send_ignore_reprint: int = 0,
    ) -> dict[str, Any]:
        """Mass send to a tag, or to every follower when ``tag_id`` is None."""
        target: dict[str, Any] = {"is_to_all": tag_id is None}
        if tag_id is not None:
            target["tag_id"] = tag_id
        body = {
            "filter": target,
            "msgtype": msgtype,
            msgtype: payload,
            "send_ignore_reprint": send_ignore_reprint,
            "clientmsgid": clientmsgid,
        }
        return await self._client.post_json("/cgi-bin/message/mass/sendall", body)
