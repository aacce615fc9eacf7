"""Medians over rounds, paired ratios, CPU per callback, and the printed tables."""

from __future__ import annotations

import argparse
import os
import statistics

from bench.inbound.callbacks import MODES, TEXT
from bench.inbound.measure import Round, Servers
from bench.loadgen import LoadResult


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pooled(rounds: list[Round], p: float) -> float:
    latencies = LoadResult(latencies_ms=[v for r in rounds for v in r.result.latencies_ms])
    return latencies.percentile(p)


def cpu_per_callback(rounds: list[Round], names: list[str], background: dict[str, float]) -> str:
    """Median CPU ms per callback, in total and per process (brokers net of their background)."""

    def used(r: Round, name: str) -> float:
        own = r.cpu_s[name] - background.get(name, 0.0) * r.result.elapsed_s
        return max(0.0, own) * 1000 / max(r.result.ok, 1)

    total = median([sum(used(r, name) for name in names) for r in rounds])
    if len(names) == 1:
        return f"{total:.2f}"
    parts = ", ".join(f"{name} {median([used(r, name) for r in rounds]):.2f}" for name in names)
    return f"{total:.2f} ({parts})"


def paired(rounds: list[Round], mode: str, server: str, other: str) -> float:
    """Median over rounds of ``server``'s rate divided by ``other``'s in the same round."""

    def rates(name: str) -> list[float]:
        return [r.result.rate for r in rounds if r.server == name and r.mode == mode]

    pairs = zip(rates(server), rates(other), strict=True)
    return median([mine / theirs for mine, theirs in pairs if theirs])


def report(rounds: list[Round], servers: Servers, args: argparse.Namespace) -> list[str]:
    """The table of medians, the ratios and the CPU per callback, as printed lines."""
    lines = [
        f"| {'server':<8} | {'mode':<9} | callbacks/s | p50 ms | p99 ms | errors "
        "| wxhub/peer | CPU ms per callback |",
        "|----------|-----------|------------:|-------:|-------:|-------:|-----------:|---|",
    ]
    shared = list(servers.pids["shared"])
    for mode in ("plaintext", "AES"):
        # The brokers' CPU per second while only the peer ran: other work on the machine.
        background = {
            name: sum(r.cpu_s[name] for r in rounds if r.server == "peer" and r.mode == mode)
            / max(
                sum(r.result.elapsed_s for r in rounds if r.server == "peer" and r.mode == mode),
                1e-9,
            )
            for name in shared
        }

        for server in servers.names:
            mine = [r for r in rounds if r.server == server and r.mode == mode]
            wxhub_like = server in ("wxhub", "baseline")
            names = list(servers.pids[server]) + (shared if wxhub_like else [])
            ratio = f"{paired(rounds, mode, server, 'peer'):.2f}×" if wxhub_like else "—"
            lines.append(
                f"| {server:<8} | {mode:<9} | {median([r.result.rate for r in mine]):>11,.0f} "
                f"| {pooled(mine, 50):>6.1f} | {pooled(mine, 99):>6.1f} "
                f"| {sum(r.result.errors for r in mine):>6} | {ratio:>10} "
                f"| {cpu_per_callback(mine, names, background)} |"
            )
        if "baseline" in servers.names:
            against = paired(rounds, mode, "wxhub", "baseline")
            lines.append(f"  {mode} wxhub/baseline: {against:.2f}× (median of the rounds' ratios)")
        lines.append(
            f"  {mode} background while the peer ran (CPU ms/s, subtracted): "
            + ", ".join(f"{k} {v * 1000:.0f}" for k, v in background.items())
        )
    return lines


def print_results(
    rounds: list[Round],
    fixed_lines: list[str],
    servers: Servers,
    args: argparse.Namespace,
    cpu: int,
) -> None:
    """Everything the benchmark prints after its runs."""
    print()
    print(f"bench-inbound: {TEXT!r} callbacks; wxhub = gateway → RabbitMQ → engine → passive reply")
    print(
        f"{args.rounds} alternating rounds of {args.seconds:g} s per server and mode, "
        f"closed loop, concurrency {args.concurrency}; load generator on CPU {cpu} of "
        f"{os.cpu_count()}; medians over rounds, p50/p99 over all callbacks of the rounds"
    )
    for line in report(rounds, servers, args):
        print(line)
    print()
    print("| server   | mode      | run            | callbacks/s | p50 ms | p99 ms | errors |")
    print("|----------|-----------|----------------|------------:|-------:|-------:|-------:|")
    for line in fixed_lines:
        print(line)
    print()
    print("per round (callbacks/s):")
    for mode in MODES:
        for server in servers.names:
            figures = [
                f"{r.result.rate:,.0f}" for r in rounds if r.server == server and r.mode == mode
            ]
            print(f"  {mode:<9} {server:<8} {' '.join(figures)}")
