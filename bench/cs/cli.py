"""The command line."""

from __future__ import annotations

import argparse
import os

import bench.cs
from bench.cs.scenario import run
from bench.servers import add_server_arguments
from libs.common.serving import run as serve_run
from libs.common.serving import skip_sniffio_probe

DATABASE_SUFFIX = "benchcs"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m bench.cs",
        description=bench.cs.__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--agents", type=int, default=30)
    p.add_argument("--sessions", type=int, default=10, help="customers per agent")
    p.add_argument("--cap", type=int, default=10, help="sessions an agent serves at once")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of conversation")
    p.add_argument(
        "--interval",
        type=float,
        default=10.0,
        help="seconds between a customer's texts (10: a brisk chat, 30 texts/s each way)",
    )
    p.add_argument("--think", type=float, default=2.0, help="an agent answers within this (s)")
    p.add_argument("--ramp", type=float, default=20.0, help="customers ask over this many s")
    p.add_argument(
        "--drain",
        type=float,
        default=45.0,
        help="after the load, wait until nothing arrived for this long (s)",
    )
    p.add_argument("--logs", default="var/bench-cs", help="child process logs")
    p.add_argument(
        "--database-suffix",
        default=DATABASE_SUFFIX,
        help="the scratch database is <database>_<suffix> (dropped and created afresh)",
    )
    p.add_argument("--redis-url", default=os.environ.get("WXHUB_TEST_REDIS_URL", DEFAULT_REDIS_URL))
    add_server_arguments(p)
    return p


def main() -> None:
    """Parse the options and run the benchmark."""
    arguments = parser().parse_args()
    skip_sniffio_probe()
    serve_run(run(arguments))
