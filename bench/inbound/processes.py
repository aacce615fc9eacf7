"""The compared servers as child processes: wxhub's engine and gateway (and a baseline's), the
wechatpy peer and the ceiling; started, waited for, stopped and cleaned up after."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

from bench.inbound.database import SECRET_KEY, drop_database
from bench.inbound.measure import Servers, broker_pids
from wxhub.processes import REPO_ROOT, ProcessGroup, free_port
from wxhub.scratch_bus import delete_namespace


@dataclass
class Deployment:
    """The process groups of wxhub and the baseline, and the other servers' processes."""

    namespace: str
    group: ProcessGroup
    baseline_namespace: str
    baseline_group: ProcessGroup
    ports: dict[str, int]
    others: dict[str, subprocess.Popen[bytes]]


async def wait_listening(port: int, timeout: float = 30.0) -> None:
    """Return once something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return


def launch(args: argparse.Namespace, db_url: str) -> Deployment:
    """The process groups (nothing started in them yet), and the ceiling and the peer started."""
    namespace = f"bench{uuid.uuid4().hex[:6]}."
    log_dir = REPO_ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    group = ProcessGroup(
        env={
            "WXHUB_ENV": "test",
            "WXHUB_DATABASE_URL": db_url,
            "WXHUB_AMQP_URL": args.amqp,
            "WXHUB_REDIS_URL": args.redis,
            "WXHUB_BUS_NAMESPACE": namespace,
            "WXHUB_SECRET_KEY": SECRET_KEY,
            "WXHUB_LOG_LEVEL": "WARNING",
            "WXHUB_AMQP_QUEUE_TYPE": args.queue_type,
        },
        log_dir=log_dir,
    )
    baseline_namespace = f"bench{uuid.uuid4().hex[:6]}."
    baseline_group = ProcessGroup(
        env={**group.env, "WXHUB_BUS_NAMESPACE": baseline_namespace},
        log_dir=log_dir,
        cwd=args.baseline.resolve() if args.baseline else REPO_ROOT,
    )
    ports = {"ceiling": free_port(), "peer": free_port()}
    others = {
        "ceiling": subprocess.Popen(
            [sys.executable, "-m", "bench.ceiling", str(ports["ceiling"])], cwd=REPO_ROOT
        ),
        "peer": subprocess.Popen(
            [sys.executable, "-m", "bench.peers.wechatpy_callback", str(ports["peer"])],
            cwd=REPO_ROOT,
        ),
    }
    return Deployment(namespace, group, baseline_namespace, baseline_group, ports, others)


async def start_servers(deployment: Deployment, args: argparse.Namespace) -> Servers:
    """Start wxhub (and the baseline) and wait until every server answers."""
    ports = deployment.ports
    engine = deployment.group.start("engine", port_setting="engine_port")
    gateway = deployment.group.start("gateway", port_setting="gateway_port")
    wxhub_pids = {"wxhub": {"gateway": gateway.process.pid, "engine": engine.process.pid}}
    if args.baseline:
        base_engine = deployment.baseline_group.start("engine", port_setting="engine_port")
        base_gateway = deployment.baseline_group.start("gateway", port_setting="gateway_port")
        await asyncio.gather(
            asyncio.to_thread(base_engine.wait_ready),
            asyncio.to_thread(base_gateway.wait_ready),
        )
        ports["baseline"] = base_gateway.port
        wxhub_pids["baseline"] = {
            "gateway": base_gateway.process.pid,
            "engine": base_engine.process.pid,
        }
    await asyncio.gather(
        asyncio.to_thread(engine.wait_ready),
        asyncio.to_thread(gateway.wait_ready),
        *(wait_listening(port) for port in ports.values()),
    )
    await asyncio.sleep(0.5)
    ports["wxhub"] = gateway.port
    return Servers(
        ports,
        {
            "ceiling": {"ceiling": deployment.others["ceiling"].pid},
            "peer": {"peer": deployment.others["peer"].pid},
            **wxhub_pids,
            "shared": broker_pids(),
        },
    )


async def stop(deployment: Deployment, args: argparse.Namespace, db_url: str) -> None:
    """Stop every server, delete the bus topologies and drop the scratch database."""
    deployment.group.stop_all()
    deployment.baseline_group.stop_all()
    for process in deployment.others.values():
        process.terminate()
        process.wait()
    namespaces = (deployment.namespace, deployment.baseline_namespace)
    for used in namespaces if args.baseline else namespaces[:1]:
        await delete_namespace(args.amqp, used)
    await drop_database(args.database, db_url)
