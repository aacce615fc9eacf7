"""The single-POST comparison: ``POST /api/v1/notifications`` one at a time, wxhub against the
peer, in alternating rounds."""

from __future__ import annotations

import argparse
import json

from bench.inbound import cpu_seconds, median
from bench.loadgen import LoadResult, run_load
from bench.outbound.submit import DATA
from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.outbound import DEMO_SYSTEM


def single_requests(label: str, count: int, first: int) -> list[bytes]:
    """Signed ``POST /api/v1/notifications`` requests with unique idempotency keys."""
    requests = []
    for n in range(first, first + count):
        body = json.dumps(
            {
                "account": DEMO.code,
                "event_type": "balance_change",
                "to": {"openid": f"o-single-{label}-{n:07d}", "phone": "13800000001"},
                "data": DATA,
                "priority": "alert",
                "idempotency_key": f"single-{label}-{n}",
                "fallback": "sms",
            }
        ).encode()
        headers = signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(
            (
                "POST /api/v1/notifications HTTP/1.1\r\nHost: bench\r\n"
                f"Content-Type: application/json\r\n{head}Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
    return requests


async def compare_single_posts(
    ports: dict[str, int], pids: dict[str, int], args: argparse.Namespace
) -> None:
    """Alternating rounds of single POSTs, wxhub against the peer; prints the medians."""
    counter = iter(range(0, 10**9, 100_000))

    async def one(server: str, count: int) -> tuple[LoadResult, float]:
        requests = single_requests(server, count, next(counter))
        before = cpu_seconds({server: pids[server]})
        result = await run_load(
            "127.0.0.1",
            ports[server],
            requests,
            concurrency=args.single_concurrency,
            seconds=args.single_seconds,
            status=202,
            expect=b'"accepted"',
        )
        used = cpu_seconds({server: pids[server]})[server] - before[server]
        if result.error_samples:
            print(f"  {server} error samples: {result.error_samples[:3]}")
        return result, used * 1000 / max(result.ok, 1)

    # Warm-up, and how many requests a run needs at most.
    fastest = max([(await one(server, 1000))[0].rate for server in ("peer", "wxhub")])
    per_run = int(fastest * args.single_seconds * 3) + 500
    runs: dict[str, list[tuple[LoadResult, float]]] = {"peer": [], "wxhub": []}
    for index in range(args.single_rounds):
        order = ["peer", "wxhub"] if index % 2 == 0 else ["wxhub", "peer"]
        for server in order:
            runs[server].append(await one(server, per_run))
    ratios = [
        w.rate / p.rate
        for (w, _), (p, _) in zip(runs["wxhub"], runs["peer"], strict=True)
        if p.rate
    ]
    print(
        f"\n== single POST /api/v1/notifications, closed loop, concurrency "
        f"{args.single_concurrency}, {args.single_rounds} alternating rounds of "
        f"{args.single_seconds:g} s; medians over rounds, p50/p99 over all requests"
    )
    print("| server | accepted/s | p50 ms | p99 ms | errors | wxhub/peer | CPU ms per POST |")
    print("|--------|-----------:|-------:|-------:|-------:|-----------:|----------------:|")
    for server in ("peer", "wxhub"):
        mine = runs[server]
        latencies = LoadResult(latencies_ms=[v for r, _ in mine for v in r.latencies_ms])
        ratio = f"{median(ratios):.2f}×" if server == "wxhub" else "—"
        print(
            f"| {server:<6} | {median([r.rate for r, _ in mine]):>10,.0f} "
            f"| {latencies.percentile(50):>6.1f} | {latencies.percentile(99):>6.1f} "
            f"| {sum(r.errors for r, _ in mine):>6} | {ratio:>10} "
            f"| {median([cpu for _, cpu in mine]):>15.2f} |"
        )
    for server in ("peer", "wxhub"):
        print(f"  {server:<6} per round: " + " ".join(f"{r.rate:,.0f}" for r, _ in runs[server]))
    erring = [server for server in ("peer", "wxhub") if any(r.errors for r, _ in runs[server])]
    if erring:
        print(
            f"  NOT A VALID COMPARISON: {' and '.join(erring)} answered errors "
            "(samples above); a server that fails requests is not doing the same work"
        )
