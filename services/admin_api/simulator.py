"""The WeChat user simulator: an admin plays a follower and sends what WeChat's servers would.

    action (text, location, image, click, view, subscribe, unsubscribe)
        → message XML as WeChat builds it (``message_xml``)
        → signed, and AES-encrypted unless the account is in plaintext mode (``SignedCallback``)
        → POST to the real gateway at ``{gateway_url}/wechat/{account code}``
        → the passive reply, decrypted and parsed (``open_reply``)

Signing happens here, server-side, with the account's own Token and EncodingAESKey, so the admin
never sees them and the gateway checks the callback exactly as it checks WeChat's.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from libs.common.wechat import MessageCrypto, build_xml, parse_xml
from libs.common.wechat.signature import compute_signature

ActionKind = Literal["text", "location", "image", "click", "view", "subscribe", "unsubscribe"]


@dataclass(frozen=True, slots=True)
class Action:
    """What the simulated follower does (only the fields its kind needs are used)."""

    kind: ActionKind
    openid: str
    content: str = ""
    latitude: float = 0.0
    longitude: float = 0.0
    label: str = ""
    media_id: str = ""
    pic_url: str = ""
    key: str = ""
    url: str = ""


def message_xml(action: Action, original_id: str, *, now: int, msg_id: int) -> bytes:
    """The callback XML WeChat would push for ``action`` (WECHAT_PROTOCOL.md §3)."""
    head: dict[str, Any] = {
        "ToUserName": original_id,
        "FromUserName": action.openid,
        "CreateTime": now,
    }
    match action.kind:
        case "text":
            body: dict[str, Any] = {"MsgType": "text", "Content": action.content, "MsgId": msg_id}
        case "location":
            body = {
                "MsgType": "location",
                "Location_X": action.latitude,
                "Location_Y": action.longitude,
                "Scale": 15,
                "Label": action.label,
                "MsgId": msg_id,
            }
        case "image":
            body = {
                "MsgType": "image",
                "PicUrl": action.pic_url,
                "MediaId": action.media_id,
                "MsgId": msg_id,
            }
        case "click":
            body = {"MsgType": "event", "Event": "CLICK", "EventKey": action.key}
        case "view":
            body = {"MsgType": "event", "Event": "VIEW", "EventKey": action.url}
        case "subscribe":
            body = {"MsgType": "event", "Event": "subscribe", "EventKey": ""}
        case "unsubscribe":
            body = {"MsgType": "event", "Event": "unsubscribe", "EventKey": ""}
    return build_xml(head | body)


@dataclass(frozen=True, slots=True)
class SignedCallback:
    """Query string and body of the POST, plus what is needed to open the reply."""

    params: dict[str, str]
    body: bytes
    encrypted: bool


class CallbackSigner:
    """Signs (and encrypts) callbacks for one account as WeChat's servers do."""

    def __init__(
        self, token: str, appid: str, original_id: str, encoding_aes_key: str | None
    ) -> None:
        self._token = token
        self._original_id = original_id
        self._crypto = MessageCrypto(token, [encoding_aes_key], appid) if encoding_aes_key else None

    def sign(self, xml: bytes, *, encrypt: bool) -> SignedCallback:
        """The signed request for ``xml``; ``encrypt`` needs an EncodingAESKey."""
        timestamp = str(int(time.time()))
        nonce = str(secrets.randbelow(10**10))
        params = {
            "signature": compute_signature(self._token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        if not encrypt:
            return SignedCallback(params, xml, encrypted=False)
        if self._crypto is None:
            raise ValueError("the account has no EncodingAESKey")
        ciphertext = self._crypto.encrypt(xml)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = compute_signature(self._token, timestamp, nonce, ciphertext)
        body = build_xml({"ToUserName": self._original_id, "Encrypt": ciphertext})
        return SignedCallback(params, body, encrypted=True)

    def open_reply(self, body: bytes, *, encrypted: bool) -> dict[str, Any] | None:
        """The passive reply as fields (None for WeChat's empty ``success`` answer)."""
        text = body.strip()
        if not text or text == b"success":
            return None
        fields = parse_xml(text)
        if encrypted and "Encrypt" in fields:
            assert self._crypto is not None
            plain = self._crypto.decrypt(
                str(fields["Encrypt"]),
                msg_signature=str(fields["MsgSignature"]),
                timestamp=str(fields["TimeStamp"]),
                nonce=str(fields["Nonce"]),
            ).xml
            fields = parse_xml(plain)
        return fields


def allowed(env: str, enabled_accounts: tuple[str, ...], account_code: str) -> bool:
    """Whether the simulator may post callbacks for ``account_code``: always outside production;
    in production only for the test accounts the settings name."""
    return env != "prod" or account_code in enabled_accounts
