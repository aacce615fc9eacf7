"""Requests/s of the dispatcher's HTTP transports against the WeChat API sandbox on loopback:
the hand-written keep-alive transport and plain httpx, direct and through a loopback proxy.

    python -m bench.http_transport --seconds 5 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

import httpx

from libs.common.serving import skip_sniffio_probe
from sandboxes import wechat_api
from sandboxes.http_proxy import LoopbackProxy
from sandboxes.server import serve
from services.dispatcher.http.client import LeanAsyncClient
from services.dispatcher.http.transport import KeepAliveTransport

TOKEN_QUERY = {"grant_type": "client_credential", "appid": "wxbench", "secret": "s"}


async def _drive(client: httpx.AsyncClient, url: str, seconds: float, concurrency: int) -> float:
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            response = await client.get(url, params=TOKEN_QUERY)
            assert response.status_code == 200
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def main(seconds: float, concurrency: int) -> None:
    server = await serve(wechat_api.build_app(wechat_api.WeChatApiState()), "127.0.0.1", 0)
    proxy = LoopbackProxy()
    await proxy.start()
    url = f"{server.url}/cgi-bin/token"
    via = f"http://127.0.0.1:{proxy.port}"
    timeout = httpx.Timeout(5.0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    runs: list[tuple[str, Callable[[], httpx.AsyncClient]]] = [
        ("hand-written, direct", lambda: LeanAsyncClient(
            KeepAliveTransport(max_connections=concurrency), timeout=timeout)),
        ("httpx, direct", lambda: httpx.AsyncClient(timeout=timeout, limits=limits)),
        ("hand-written, via proxy", lambda: LeanAsyncClient(
            KeepAliveTransport(max_connections=concurrency, proxy=via), timeout=timeout)),
        ("httpx, via proxy", lambda: httpx.AsyncClient(
            timeout=timeout, limits=limits, proxy=via)),
    ]  # fmt: skip
    print(f"{'transport':<28}{'requests/s':>12}")
    for name, make in runs:
        client = make()
        try:
            rate = await _drive(client, url, seconds, concurrency)
        finally:
            await client.aclose()
        print(f"{name:<28}{rate:>12,.0f}", flush=True)
    await proxy.stop()
    await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    skip_sniffio_probe()
    import uvloop

    uvloop.run(main(args.seconds, args.concurrency))
