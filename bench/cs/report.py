"""Printing the figures of a run."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bench.cs.ledger import pct


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the figures."""
    before, after = figures["load"]
    customer_ms, agent_ms = figures["customer_ms"], figures["agent_ms"]
    rate = figures["customer_sent"] / max(figures["sent_s"], 1e-9)
    print()
    print(
        f"bench-cs: {figures['agents']} agents × {args.sessions} sessions = "
        f"{figures['customers']} customers, a text every {args.interval:g} s each "
        f"({rate:.0f} messages/s each way) for {args.duration:g} s, answers after up to "
        f"{args.think:g} s"
    )
    print(
        f"load average before {before[0]:.1f} / after {after[0]:.1f} "
        f"(5 min {after[1]:.1f}) on {os.cpu_count()} CPUs"
    )
    print(
        f"seats: {figures['seated']} of {figures['customers']} customers assigned in "
        f"{figures['ramp_s']:.1f} s (ramp {args.ramp:g} s), at most {figures['max_per_agent']} "
        f"per agent (cap {args.cap})"
        + (f"; ask errors {figures['ask_errors']}" if figures["ask_errors"] else "")
    )
    print()
    print("| direction | sent | p50 ms | p99 ms | max ms | lost | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, values, sent, lost, errors in (
        (
            "customer → agent (callback → socket)",
            customer_ms,
            figures["customer_sent"],
            figures["customer_lost"],
            figures["customer_errors"],
        ),
        (
            "agent → WeChat API (REST send → sandbox)",
            agent_ms,
            figures["agent_sent"],
            figures["agent_lost"],
            figures["agent_errors"],
        ),
    ):
        print(
            f"| {label} | {sent} | {pct(values, 0.5):.1f} | {pct(values, 0.99):.1f} "
            f"| {max(values, default=float('nan')):.1f} | {lost} | {sum(errors.values())} |"
        )
    for label, errors in (
        ("customer", figures["customer_errors"]),
        ("agent", figures["agent_errors"]),
    ):
        if errors:
            print(f"  {label} errors: {dict(errors)}")
    print(
        f"drained in {figures['drain_s']:.1f} s; console sockets closed by the server: "
        f"{figures['dropped']}"
    )
    print()
    print("CPU ms per customer message (with its answer), utime+stime from /proc:")
    print("  " + ", ".join(f"{name} {ms:.2f}" for name, ms in figures["cpu_ms"].items()))
    fast = all(pct(values, 0.99) < 200 for values in (customer_ms, agent_ms) if values)
    kept = figures["all_seated"] and not figures["dropped"]
    target = fast and kept and not (figures["customer_lost"] or figures["agent_lost"])
    print(f"target p99 < 200 ms each way, 0 lost: {'met' if target else 'NOT met'}")
