"""The runs: a warm-up, alternating closed-loop rounds of every server in every mode, and a last
fixed-rate run of wxhub; the load generator keeps to one core."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

from bench.inbound.callbacks import MODES, PATH, build_requests
from bench.inbound.measure import Round, Servers, measure
from bench.inbound.report import median
from bench.loadgen import run_load


def pin_load_generator() -> int:
    """Keep this process to the last core (the servers inherited both); returns its number."""
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def message_ids() -> Iterator[int]:
    """First MsgIds of request batches, far enough apart never to overlap."""
    return iter(range(8_000_000_000_000_000_000, 9_000_000_000_000_000_000, 10_000_000))


async def alternating_rounds(
    servers: Servers, ids: Iterator[int], args: argparse.Namespace
) -> list[Round]:
    """Warm every server up in every mode, then ``--rounds`` rounds, every other one reversed."""
    reusable = {
        mode: build_requests(2000, encrypt=encrypt, first_id=next(ids), path=PATH)
        for mode, encrypt in MODES.items()
    }
    # Warm-up: every server in every mode, and a first estimate of wxhub's rate.
    estimate = 0.0
    for mode, encrypt in MODES.items():
        for server in ("ceiling", "peer"):
            await measure(servers, server, mode, reusable[mode], args=args)
        for server in servers.names[2:]:
            warm = build_requests(1500, encrypt=encrypt, first_id=next(ids), path=PATH)
            warmed = await measure(servers, server, mode, warm, args=args)
            estimate = max(estimate, warmed.result.rate)
    per_run = int(estimate * args.seconds * 3) + 1000
    rounds: list[Round] = []
    for index in range(args.rounds):
        order = list(servers.names)
        if index % 2:
            order.reverse()
        for mode, encrypt in MODES.items():
            for server in order:
                requests = (
                    build_requests(per_run, encrypt=encrypt, first_id=next(ids), path=PATH)
                    if server in ("wxhub", "baseline")
                    else reusable[mode]
                )
                rounds.append(await measure(servers, server, mode, requests, args=args))
    return rounds


async def fixed_rate_runs(
    rounds: list[Round], servers: Servers, ids: Iterator[int], args: argparse.Namespace
) -> list[str]:
    """wxhub at ``--rate`` (default 80 % of its median maximum) in each mode, as table lines."""
    fixed_lines = []
    for mode, encrypt in MODES.items():
        max_rate = median([r.result.rate for r in rounds if r.server == "wxhub" and r.mode == mode])
        rate = args.rate or 0.8 * max_rate
        paced = build_requests(
            int(rate * args.seconds), encrypt=encrypt, first_id=next(ids), path=PATH
        )
        result = await run_load(
            "127.0.0.1",
            servers.ports["wxhub"],
            paced,
            concurrency=max(args.concurrency, 64),
            rate=rate,
            expect=b"<xml>",
        )
        fixed_lines.append(
            f"| wxhub    | {mode:<9} | fixed {rate:>5,.0f}/s | {result.rate:>11,.0f} "
            f"| {result.percentile(50):>6.1f} | {result.percentile(99):>6.1f} "
            f"| {result.errors:>6} |"
        )
        if result.error_samples:
            fixed_lines.append(f"  {mode} error samples: {result.error_samples[:3]}")
    return fixed_lines
