"""The command line, and the order of the runs: warm-up, single POSTs, clean, failing."""

from __future__ import annotations

import argparse
from typing import Any

import httpx

import bench.outbound
from bench.outbound.meters import CpuMeter, PgMeter
from bench.outbound.report import print_calls, print_table
from bench.outbound.scenario import run_scenario
from bench.outbound.single import compare_single_posts
from bench.outbound.stack import Stack, clean_up, start, stop_processes, wait_http
from bench.outbound.submit import Submitter
from bench.servers import add_server_arguments
from wxhub.processes import REPO_ROOT


def parser() -> argparse.ArgumentParser:
    """The options; ``--help`` shows the package's docstring."""
    p = argparse.ArgumentParser(prog="python -m bench.outbound", description=bench.outbound.__doc__)
    p.add_argument("--count", type=int, default=50_000)
    p.add_argument("--rate", type=float, default=0.0, help="submissions per second, 0: max")
    p.add_argument("--batch", type=int, default=100, help="notifications per API call")
    p.add_argument("--fail-percent", type=float, default=20.0)
    p.add_argument("--direct", action="store_true", help="insert+publish, not the API")
    p.add_argument("--logs", default="var/bench-outbound", help="child process logs")
    p.add_argument("--single-rounds", type=int, default=3)
    p.add_argument("--single-seconds", type=float, default=4.0)
    p.add_argument("--single-concurrency", type=int, default=32)
    p.add_argument("--single-only", action="store_true", help="only the single-POST comparison")
    p.add_argument(
        "--profile-dispatcher",
        metavar="FILE",
        help="run the dispatcher under cProfile, write its statistics to FILE and print its"
        " Python function calls per notification (a count that does not depend on the load)",
    )
    p.add_argument(
        "--pg-stats",
        action="store_true",
        help="print WAL bytes and SQL statements per notification (WAL is the whole server's:"
        " use a PostgreSQL of the bench's own; statements need pg_stat_statements)",
    )
    add_server_arguments(p)
    return p


async def main() -> None:
    """Set up, run the clean and the failing scenario, print the figures."""
    args = parser().parse_args()
    logs = REPO_ROOT / args.logs
    logs.mkdir(parents=True, exist_ok=True)
    stack = await start(args, logs)
    cpu = CpuMeter(stack.groups)
    print("processes:", {k: v for k, v in stack.groups.items() if isinstance(v, int)}, flush=True)
    submitter = Submitter(
        api=stack.api, bus=stack.bus, sessions=stack.sessions, account_id=stack.account_id
    )
    pg: PgMeter | None = None
    if args.pg_stats:
        pg = PgMeter(stack.database, stack.database_name)
        await pg.connect()
    try:
        await _runs(stack, args, submitter, cpu, pg)
    finally:
        if pg is not None:
            await pg.close()
        await stop_processes(stack)
        if stack.profile is not None and stack.profile.exists():
            print_calls(stack.profile, len(stack.collector.terminal))
        await clean_up(stack)


async def _runs(
    stack: Stack,
    args: argparse.Namespace,
    submitter: Submitter,
    cpu: CpuMeter,
    pg: PgMeter | None,
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.wechat_port}") as control:
        sandboxes = f"http://127.0.0.1:{stack.wechat_port}/__sandbox__/stats"
        if not await wait_http(sandboxes, stack.sandboxes, 10):
            raise RuntimeError("sandboxes did not start")
        common: dict[str, Any] = {
            "submitter": submitter,
            "collector": stack.collector,
            "rate": args.rate,
            "batch": args.batch,
            "cpu": cpu,
            "pg": pg,
        }
        await run_scenario("warm-up", "w", min(2000, args.count), **common)
        if stack.api is not None and stack.peer is not None and args.single_rounds > 0:
            await compare_single_posts(
                {"peer": stack.peer_port, "wxhub": stack.gateway_port},
                {"peer": stack.peer.pid, "wxhub": stack.groups["gateway"]},
                args,
            )
        if args.single_only:
            return
        clean = await run_scenario("all WeChat calls succeed", "a", args.count, **common)
        await control.post(
            "/__sandbox__/faults",
            json={
                "path": "/cgi-bin/message/template/send",
                "errcode": 43101,
                "percent": args.fail_percent,
                "seed": 7,
            },
        )
        failing = await run_scenario(
            f"{args.fail_percent:.0f} % WeChat fail → SMS", "f", args.count, **common
        )
        print_table([clean, failing], args.rate, stack.via)
