"""The ceiling for ``bench.inbound``: a bare ASGI app answering ``success`` under the gateway's
server settings (``python -m bench.ceiling PORT``)."""

from __future__ import annotations

import sys

from starlette.types import Receive, Scope, Send

from libs.common.serving import make_server, run


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the request body and answer a constant."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"7")],
        }
    )
    await send({"type": "http.response.body", "body": b"success"})


async def main(port: int) -> None:
    """Serve until killed."""
    await make_server(app, "127.0.0.1", port).serve()


if __name__ == "__main__":
    run(main(int(sys.argv[1])))
