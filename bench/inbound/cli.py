"""The command line and the order of things: database, servers, runs, figures, clean-up."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import bench.inbound
from bench.inbound.database import prepare_database
from bench.inbound.processes import launch, start_servers, stop
from bench.inbound.report import print_results
from bench.inbound.rounds import (
    alternating_rounds,
    fixed_rate_runs,
    message_ids,
    pin_load_generator,
)


def parser() -> argparse.ArgumentParser:
    """The options; ``--help`` shows the package's docstring."""
    p = argparse.ArgumentParser(
        prog="python -m bench.inbound",
        description=bench.inbound.__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per mode")
    p.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    p.add_argument(
        "--rate", type=float, default=0.0, help="fixed-rate run, callbacks/s (0: 80 %% of max)"
    )
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--baseline", type=Path, help="source tree of a second wxhub to compare with")
    p.add_argument(
        "--database",
        default=os.environ.get(
            "WXHUB_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    p.add_argument(
        "--amqp",
        default=os.environ.get("WXHUB_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    p.add_argument("--queue-type", default="quorum", choices=["quorum", "classic"])
    p.add_argument(
        "--redis", default=os.environ.get("WXHUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    return p


async def main() -> None:
    """Set up, run the rounds and the fixed-rate runs, print the figures, clean up."""
    args = parser().parse_args()
    db_url = await prepare_database(args.database)
    deployment = launch(args, db_url)
    try:
        servers = await start_servers(deployment, args)
        cpu = pin_load_generator()
        ids = message_ids()
        rounds = await alternating_rounds(servers, ids, args)
        fixed_lines = await fixed_rate_runs(rounds, servers, ids, args)
        print_results(rounds, fixed_lines, servers, args, cpu)
    finally:
        await stop(deployment, args, db_url)
