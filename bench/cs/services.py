"""The system under test as child processes: the sandboxes, gateway, engine, admin_api and
dispatcher on the bench's own bus namespace; started, and stopped with their topology deleted."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.cs.database import SECRET_KEY
from wxhub.processes import REPO_ROOT, ProcessGroup, free_port
from wxhub.scratch_bus import delete_namespace


def start_services(args: argparse.Namespace, database: str, log_dir: Path) -> dict[str, Any]:
    """Sandboxes, gateway, engine, admin_api and dispatcher as child processes."""
    namespace = f"benchcs-{uuid.uuid4().hex[:8]}"
    ports = {
        "wechat_sandbox_port": free_port(),
        "sms_sandbox_port": free_port(),
        "core_sandbox_port": free_port(),
    }
    wechat = f"http://127.0.0.1:{ports['wechat_sandbox_port']}"
    group = ProcessGroup(
        env={
            "WXHUB_ENV": "test",
            "WXHUB_LOG_LEVEL": "WARNING",
            "WXHUB_DATABASE_URL": database,
            "WXHUB_AMQP_URL": args.amqp_url,
            "WXHUB_REDIS_URL": args.redis_url,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_WECHAT_API_BASE": wechat,
            "WXHUB_WECHAT_OAUTH_BASE": wechat,
            "WXHUB_SMS_URL": f"http://127.0.0.1:{ports['sms_sandbox_port']}/send",
            "WXHUB_CORE_URL": f"http://127.0.0.1:{ports['core_sandbox_port']}",
            "WXHUB_CS_DEFAULT_CAP": str(args.cap),
            **{f"WXHUB_{name.upper()}": str(port) for name, port in ports.items()},
        },
        log_dir=log_dir,
    )
    env = {**os.environ, **group.env}
    with (log_dir / "sandboxes.log").open("wb") as out:
        sandboxes = subprocess.Popen(
            [sys.executable, "-m", "sandboxes"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )
    services = {
        "engine": group.start("engine", port_setting="engine_port"),
        "gateway": group.start("gateway", port_setting="gateway_port"),
        "admin_api": group.start("admin_api", port_setting="admin_port"),
        "dispatcher": group.start("dispatcher", port_setting="dispatcher_port"),
    }
    return {
        "group": group,
        "namespace": namespace,
        "sandboxes": sandboxes,
        "services": services,
        "wechat": wechat,
    }


async def stop_services(started: dict[str, Any], amqp_url: str) -> None:
    """Stop what ``start_services`` started and delete the bus topology it used."""
    group: ProcessGroup = started["group"]
    group.stop_all()
    started["sandboxes"].terminate()
    started["sandboxes"].wait()
    await delete_namespace(amqp_url, started["namespace"])


def sandbox_answers(url: str) -> bool:
    """Whether the WeChat API sandbox at ``url`` answers its control API."""
    try:
        return httpx.get(f"{url}/__sandbox__/stats", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
