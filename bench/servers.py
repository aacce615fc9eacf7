"""Where the benchmarks find RabbitMQ and PostgreSQL: the same variables the tests read."""

from __future__ import annotations

import argparse
import os

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/wxhub_test"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def add_server_arguments(parser: argparse.ArgumentParser, *, amqp: bool = True) -> None:
    """``--database-url`` (and ``--amqp-url``), defaulting to ``WXHUB_TEST_*`` like the tests."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WXHUB_TEST_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    if amqp:
        parser.add_argument(
            "--amqp-url", default=os.environ.get("WXHUB_TEST_AMQP_URL", DEFAULT_AMQP_URL)
        )
