"""The agents' answers as the WeChat API sandbox received them, read from its control API."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from bench.cs.ledger import Ledger


async def poll_deliveries(control: httpx.AsyncClient, ledger: Ledger, stop: asyncio.Event) -> None:
    """Read the WeChat API sandbox's custom sends as they come (each once, by msgid)."""
    after = 0
    failures = 0
    while True:
        try:
            answer = await control.get(
                "/__sandbox__/deliveries", params={"kind": "custom", "after": after}
            )
        except httpx.TransportError:
            # The sandbox closed an idle keep-alive connection: ask again (once more at the end).
            failures += 1
            if failures > 5:
                raise
            await asyncio.sleep(0.1)
            continue
        failures = 0
        for delivery in answer.json()["deliveries"]:
            after = max(after, int(delivery["msgid"]))
            content = delivery["body"].get("text", {}).get("content", "")
            if content in ledger.agent_sent:
                ledger.agent_seen[content] = float(delivery["at"])
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
