"""``bench.cs`` end to end at a tiny scale: 2 agents × 2 customers for a few seconds, through the
real processes; every customer gets a seat and nothing is lost either way."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench import cs
from tests.e2e.support import run_on_server

pytestmark = [pytest.mark.e2e, pytest.mark.amqp, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def suffix(postgres_url: str) -> AsyncIterator[str]:
    """A scratch database suffix of the test's own, dropped afterwards."""
    name = f"benchcs_{uuid.uuid4().hex[:8]}"
    yield name
    database = postgres_url.rsplit("/", 1)[1]
    await run_on_server(postgres_url, f'DROP DATABASE IF EXISTS "{database}_{name}" WITH (FORCE)')


async def test_the_benchmark_runs_end_to_end(
    postgres_url: str, amqp_url: str, redis_url: str, suffix: str, tmp_path: Path
) -> None:
    args = cs.parser().parse_args(
        [
            "--agents=2",
            "--sessions=2",
            "--cap=2",
            "--duration=4",
            "--interval=1",
            "--think=0.2",
            "--ramp=0.5",
            "--drain=20",
            f"--database-url={postgres_url}",
            f"--amqp-url={amqp_url}",
            f"--redis-url={redis_url}",
            f"--database-suffix={suffix}",
            f"--logs={tmp_path}",
        ]
    )

    figures = await cs.run(args)

    assert figures["seated"] == figures["customers"] == 4
    assert figures["max_per_agent"] == 2
    assert figures["customer_sent"] >= 8
    assert figures["agent_sent"] == figures["customer_sent"]
    assert figures["customer_lost"] == figures["agent_lost"] == 0
    assert not figures["customer_errors"]
    assert not figures["agent_errors"]
    assert not figures["ask_errors"]
    assert figures["dropped"] == 0
    assert len(figures["customer_ms"]) == figures["customer_sent"]
    assert len(figures["agent_ms"]) == figures["agent_sent"]
