"""Stands in for WeChat's servers pushing callbacks: builds message XML and signs (and encrypts)
requests exactly as WeChat does (docs/wechat-protocol.md §2–§6), for tests, benchmarks and manual
use.

    push = CallbackPusher(token, appid, original_id, encoding_aes_key)
    params, body = push.sign(push.text("oUser", "基金 000001", msg_id=1), encrypt=True)
    httpx.post(f"{gateway}/wechat/demo", params=params, content=body)
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from libs.common.wechat import MessageCrypto, build_xml
from libs.common.wechat.signature import compute_signature


class CallbackPusher:
    """Builds and signs callbacks for one account."""

    def __init__(
        self, token: str, appid: str, original_id: str, encoding_aes_key: str | None = None
    ) -> None:
        self.token = token
        self.appid = appid
        self.original_id = original_id
        self._crypto = MessageCrypto(token, [encoding_aes_key], appid) if encoding_aes_key else None

    def message(
        self, openid: str, msg_type: str, *, create_time: int | None = None, **fields: Any
    ) -> bytes:
        """Message XML with the common header; ``fields`` become elements as given."""
        return build_xml(
            {
                "ToUserName": self.original_id,
                "FromUserName": openid,
                "CreateTime": create_time if create_time is not None else int(time.time()),
                "MsgType": msg_type,
                **fields,
            }
        )

    def text(
        self, openid: str, content: str, *, msg_id: int, create_time: int | None = None
    ) -> bytes:
        """A user's text message."""
        return self.message(openid, "text", create_time=create_time, Content=content, MsgId=msg_id)

    def location(
        self, openid: str, latitude: float, longitude: float, *, msg_id: int, label: str = ""
    ) -> bytes:
        """A user's location pin (Location_X is the latitude)."""
        return self.message(
            openid,
            "location",
            Location_X=latitude,
            Location_Y=longitude,
            Scale=15,
            Label=label,
            MsgId=msg_id,
        )

    def event(
        self, openid: str, event: str, *, create_time: int | None = None, **fields: Any
    ) -> bytes:
        """An event push (subscribe, CLICK, LOCATION…)."""
        return self.message(openid, "event", create_time=create_time, Event=event, **fields)

    def sign(
        self,
        xml: bytes,
        *,
        encrypt: bool = False,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Query parameters and body of the POST WeChat would send for ``xml``.

        With ``encrypt`` the body is the compatible-mode form: ToUserName plus ``Encrypt``.
        """
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {
            "signature": compute_signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
        }
        if not encrypt:
            return params, xml
        if self._crypto is None:
            raise ValueError("no EncodingAESKey configured for this pusher")
        ciphertext = self._crypto.encrypt(xml)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = compute_signature(self.token, ts, nonce, ciphertext)
        body = build_xml({"ToUserName": self.original_id, "Encrypt": ciphertext})
        return params, body

    def open_reply(self, body: bytes) -> bytes:
        """Decrypt an encrypted passive reply envelope (checks its signature, as WeChat does)."""
        from libs.common.wechat import parse_xml

        if self._crypto is None:
            raise ValueError("no EncodingAESKey configured for this pusher")
        envelope = parse_xml(body)
        return self._crypto.decrypt(
            str(envelope["Encrypt"]),
            msg_signature=str(envelope["MsgSignature"]),
            timestamp=str(envelope["TimeStamp"]),
            nonce=str(envelope["Nonce"]),
        ).xml
