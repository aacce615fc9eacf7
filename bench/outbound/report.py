"""Printing the batch runs' figures, and the dispatcher's Python calls under ``cProfile``."""

from __future__ import annotations

import pstats
from pathlib import Path

from bench.outbound.scenario import Result


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_table(results: list[Result], rate: float, via: str) -> None:
    """Rates, latencies, fallbacks, CPU, status events (and PostgreSQL) of each run."""
    pace = f"paced at {rate:.0f}/s" if rate > 0 else "unpaced"
    print(f"\n== {results[0].count} notifications per run, submitted {via}, {pace}")
    header = (
        f"{'run':<34} {'accepted/s':>10} {'delivered/s':>11} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'fallbacks':>9} {'fb p50/p99 ms':>14} {'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        done = sum(r.statuses.values())
        all_lat = [v for values in r.latencies.values() for v in values]
        fb = r.latencies.get("fallback_sent", [])
        fb_text = f"{_pct(fb, 0.5) * 1000:.0f}/{_pct(fb, 0.99) * 1000:.0f}" if fb else "-"
        print(
            f"{r.label:<34} {r.count / r.accept_s:>10.0f} {done / r.total_s:>11.0f}"
            f" {_pct(all_lat, 0.5) * 1000:>7.0f} {_pct(all_lat, 0.99) * 1000:>7.0f}"
            f" {len(fb):>9} {fb_text:>14} {r.statuses.get('failed', 0):>6}"
        )
        if done < r.count:
            print(f"   !! only {done} of {r.count} reached a terminal status")
    print("\nCPU ms per notification (utime+stime from /proc; postgres = the bench DB's backends)")
    names = list(results[0].cpu_ms)
    print(f"{'run':<34} " + " ".join(f"{n:>11}" for n in names))
    for r in results:
        print(f"{r.label:<34} " + " ".join(f"{r.cpu_ms[n]:>11.3f}" for n in names))
    print("\nstatus events per notification (delivery.*, batched into AMQP messages)")
    print(f"{'run':<34} {'messages':>11} {'events':>11}")
    for r in results:
        print(f"{r.label:<34} {r.events[0]:>11.3f} {r.events[1]:>11.2f}")
    if results[0].pg is not None:
        print(
            "\nPostgreSQL per notification (WAL: the whole server's;"
            " statements: pg_stat_statements)"
        )
        print(f"{'run':<34} {'WAL bytes':>11} {'statements':>11}")
        for r in results:
            assert r.pg is not None
            statements = r.pg["statements"]
            shown = "-" if statements is None else f"{statements:.2f}"
            print(f"{r.label:<34} {r.pg['wal_bytes']:>11,.0f} {shown:>11}")


def print_calls(profile: Path, notifications: int) -> None:
    """Print the dispatcher's Python function calls per notification from its cProfile file."""
    calls = pstats.Stats(str(profile)).total_calls  # type: ignore[attr-defined]
    print(
        f"\ndispatcher under cProfile: {calls:,} Python function calls for {notifications:,}"
        f" notifications (startup included): {calls / max(notifications, 1):,.0f} per notification;"
        f" statistics in {profile}"
    )
