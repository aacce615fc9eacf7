"""``python -m sandboxes``: the WeChat API, SMS and core-system sandboxes on their dev ports.

Ports come from ``WXHUB_WECHAT_SANDBOX_PORT`` / ``WXHUB_SMS_SANDBOX_PORT`` /
``WXHUB_CORE_SANDBOX_PORT`` (defaults 8090 / 8091 / 8092) and the host from ``WXHUB_HOST``; each
keeps its last ``WXHUB_SANDBOX_CALL_LOG_SIZE`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from libs.common.settings import CommonSettings
from sandboxes import core_system, sms, wechat_api
from sandboxes.server import RunningServer, serve

log = logging.getLogger("sandboxes")


async def main() -> None:
    """Serve the three sandboxes until SIGINT/SIGTERM."""
    settings = CommonSettings()
    size = settings.sandbox_call_log_size
    apps = [
        (
            "WeChat API",
            wechat_api.build_app(wechat_api.WeChatApiState(call_log_size=size)),
            settings.wechat_sandbox_port,
        ),
        ("SMS gateway", sms.build_app(sms.SmsState(call_log_size=size)), settings.sms_sandbox_port),
        ("core system", core_system.build_app(), settings.core_sandbox_port),
    ]
    servers: list[RunningServer] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for name, app, port in apps:
            running = await serve(app, settings.host, port)
            servers.append(running)
            log.info("%s sandbox listening on %s", name, running.url)
        await stop.wait()
    finally:
        for running in servers:
            await running.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
