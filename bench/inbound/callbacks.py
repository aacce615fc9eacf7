"""The load: pre-signed (and pre-encrypted) WeChat text callbacks to the demo account."""

from __future__ import annotations

from urllib.parse import urlencode

from sandboxes.wechat_push import CallbackPusher
from wxhub.demo.account import DEMO

TEXT = "帮助"  # a configured keyword answered from the engine's cached configuration
PATH = "/wechat/demo"
# Each mode's callbacks are encrypted or not.
MODES = {"plaintext": False, "AES": True}


def build_requests(count: int, *, encrypt: bool, first_id: int, path: str) -> list[bytes]:
    """Pre-signed (and pre-encrypted) callback requests with unique MsgIds."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    requests = []
    for i in range(count):
        xml = pusher.text(f"oBench{i % 5000:05d}", TEXT, msg_id=first_id + i)
        params, body = pusher.sign(xml, encrypt=encrypt)
        head = (
            f"POST {path}?{urlencode(params)} HTTP/1.1\r\nHost: bench\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests
