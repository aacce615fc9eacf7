"""The inbound peer: a plain wechatpy + FastAPI callback server.

    python -m bench.peers.wechatpy_callback PORT

What a competent engineer writes in an afternoon with the SDK: verify the signature, decrypt the
AES envelope, parse the message and answer a passive text reply for the keyword, all in one
process with no broker and no deduplication. It serves the demo account's credentials under the
gateway's uvicorn settings (``libs.common.serving.make_server``), so the comparison measures the
application, not the server.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI, HTTPException, Request, Response
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from libs.common.serving import make_server, run
from wxhub.demo.account import DEMO, WELCOME

# The demo account answers "帮助" with a text of this size.
ANSWERS = {"帮助": WELCOME}

app = FastAPI()
crypto = WeChatCrypto(DEMO.token, DEMO.encoding_aes_key, DEMO.appid)


@app.post("/wechat/{account}")
async def callback(
    request: Request,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str = "raw",
    msg_signature: str = "",
) -> Response:
    """Verify, decrypt, parse and answer one WeChat message push."""
    try:
        check_signature(DEMO.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise HTTPException(403, "invalid signature") from None
    body = await request.body()
    if encrypt_type == "aes":
        try:
            body = crypto.decrypt_message(body, msg_signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            raise HTTPException(403, "invalid message signature") from None
    message = parse_message(body)
    if message.type != "text" or message.content not in ANSWERS:
        return Response("success", media_type="text/plain")
    xml = create_reply(ANSWERS[message.content], message).render()
    if encrypt_type == "aes":
        xml = crypto.encrypt_message(xml, nonce, timestamp)
    return Response(xml, media_type="application/xml")


async def main(port: int) -> None:
    """Serve until killed."""
    await make_server(app, "127.0.0.1", port).serve()


if __name__ == "__main__":
    run(main(int(sys.argv[1])))
