"""``wxhub dev``: the whole platform in one process on the embedded default.

SQLite, the in-process bus and ledger, the WeChat-API / SMS / core-system sandboxes on loopback, and
demo data — nothing to install or start besides this.
"""

from __future__ import annotations

import os
from typing import Any

from libs.common.bus import MemoryBus, default_topology
from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.observability.logging import configure_logging, get_logger
from libs.common.resources import open_resources
from libs.common.secret_box import SecretBox
from libs.common.serving import serve_services
from libs.common.settings import CommonSettings
from sandboxes import core_system, sms, wechat_api
from sandboxes.server import RunningServer, serve
from wxhub.demo.account import DEMO, seed_demo
from wxhub.demo.admin import seed_admin_demo
from wxhub.demo.materials import seed_materials_demo
from wxhub.demo.menu import seed_menu_demo
from wxhub.demo.outbound import seed_outbound_demo
from wxhub.demo.prospects import seed_prospects_demo
from wxhub.services import catalogue


def _sandbox_overrides(settings: CommonSettings) -> dict[str, Any]:
    """Point outside systems at the sandboxes unless the environment says otherwise."""
    host = settings.host
    wanted = {
        "WXHUB_WECHAT_API_BASE": (
            "wechat_api_base",
            f"http://{host}:{settings.wechat_sandbox_port}",
        ),
        # WeChat's authorize page for /h5/oauth/… (the sandbox serves it on the API's port).
        "WXHUB_WECHAT_OAUTH_BASE": (
            "wechat_oauth_base",
            f"http://{host}:{settings.wechat_sandbox_port}",
        ),
        "WXHUB_SMS_URL": ("sms_url", f"http://{host}:{settings.sms_sandbox_port}/send"),
        "WXHUB_CORE_URL": ("core_url", f"http://{host}:{settings.core_sandbox_port}"),
        # The admin app's user simulator posts its signed callbacks to this gateway.
        "WXHUB_GATEWAY_URL": ("gateway_url", f"http://{host}:{settings.gateway_port}"),
    }
    return {field: value for env, (field, value) in wanted.items() if env not in os.environ}


class DemoRefused(Exception):
    """Demo data asked for where it must not go."""


async def seed(settings: CommonSettings) -> list[tuple[str, str]]:
    """Migrate and seed the database; returns demo logins (user, test password) to print.

    Refused in production: the demo users' passwords, the ``demo-core`` system secret and the
    demo account's credentials are public test values.
    """
    if settings.env == "prod":
        raise DemoRefused(
            "WXHUB_ENV=prod: the demo data (demo users, the public demo-core secret, the demo "
            "account) is never loaded in production; create the first administrator with "
            "'wxhub create-admin'"
        )
    await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    box = SecretBox(settings.secret_key, settings.previous_secret_keys)
    logins: list[tuple[str, str]] = []
    try:
        async with make_sessionmaker(engine).begin() as session:
            await seed_demo(session, box)
            await seed_outbound_demo(session, box)
            await seed_prospects_demo(session, box)
            logins = await seed_admin_demo(session, box)
            await seed_materials_demo(session, settings.h5_base_url)
            await seed_menu_demo(session)
    finally:
        await engine.dispose()
    return logins


async def run_dev() -> None:
    """Start everything and serve until Ctrl-C."""
    base = CommonSettings()
    configure_logging(base.log_level, json=base.log_json)
    logins = await seed(base)
    overrides = _sandbox_overrides(base)

    wechat = wechat_api.WeChatApiState()
    # The sandbox reports template and mass sends back to the gateway, as WeChat does.
    gateway = os.environ.get("WXHUB_GATEWAY_URL") or f"http://{base.host}:{base.gateway_port}"
    wechat.job_reports.targets[DEMO.appid] = wechat_api.CallbackTarget(
        f"{gateway.rstrip('/')}/wechat/{DEMO.code}",
        DEMO.token,
        DEMO.original_id,
        DEMO.encoding_aes_key,
    )
    sandboxes: list[RunningServer] = [
        await serve(wechat_api.build_app(wechat), base.host, base.wechat_sandbox_port),
        await serve(sms.build_app(), base.host, base.sms_sandbox_port),
        await serve(core_system.build_app(), base.host, base.core_sandbox_port),
    ]
    bus = MemoryBus()
    await bus.connect()
    await bus.declare(default_topology())
    resources = await open_resources(base, bus=bus, ledger=MemoryCallbackLedger())
    services = []
    for entry in catalogue().values():
        settings = entry.settings(**overrides)
        services.append(entry.build(settings, resources))
    _print_banner(base, logins)
    try:
        await serve_services(services, base.host, freeze_heap=True)
    finally:
        await resources.close()
        await bus.close()
        for sandbox in sandboxes:
            await sandbox.stop()


def _print_banner(settings: CommonSettings, logins: list[tuple[str, str]]) -> None:
    h = settings.host
    lines = [
        "",
        "wxhub is running (embedded default: SQLite, in-process bus, sandboxes, demo data)",
        f"  WeChat callback URL   http://{h}:{settings.gateway_port}/wechat/{DEMO.code}",
        f"    Token               {DEMO.token}",
        f"    EncodingAESKey      {DEMO.encoding_aes_key}",
        f"    AppID / AppSecret   {DEMO.appid} / {DEMO.app_secret}   (test values)",
        f"    mode                {DEMO.mode} (plaintext and AES accepted)",
        f"  business API          http://{h}:{settings.gateway_port}/api/v1  (docs: /docs)",
        "    system / secret     demo-core / demo-core-secret-not-real   (test values)",
        f"  admin API + SPA       http://{h}:{settings.admin_port}/  (docs: /docs)",
    ]
    lines += [
        f"    login               {user} / {password}   (test password)"
        for user, password in logins
    ]
    lines += [
        f"  stats                 http://{h}:{settings.stats_port}/",
        f"  engine / dispatcher   http://{h}:{settings.engine_port}/healthz  http://{h}:{settings.dispatcher_port}/healthz",
        f"  WeChat API sandbox    http://{h}:{settings.wechat_sandbox_port}/__sandbox__/calls",
        f"  SMS sandbox           http://{h}:{settings.sms_sandbox_port}/__sandbox__/calls",
        f"  core-system sandbox   http://{h}:{settings.core_sandbox_port}/v1/funds/000001/nav",
        "  every service: /healthz /readyz /metrics     Ctrl-C stops everything",
        "",
    ]
    if settings.log_json:
        # Every line JSON, the banner too: one event with the same text.
        get_logger("wxhub.dev").info("wxhub_dev_ready", banner="\n".join(lines).strip())
    else:
        print("\n".join(lines), flush=True)
