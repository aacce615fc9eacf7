"""What a notification costs: CPU of each process (/proc), PostgreSQL WAL and statements."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg


class CpuMeter:
    """CPU seconds (utime + stime from /proc) of named process groups since the last reset."""

    def __init__(self, groups: dict[str, Any]) -> None:
        # name → a pid, or a callable returning the pids to sum (re-evaluated at each sample).
        self.groups = groups
        self._tick = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _cpu(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self._tick
        except (OSError, IndexError):
            return 0.0

    def _sample(self) -> dict[str, dict[int, float]]:
        sample = {}
        for name, pids in self.groups.items():
            found = pids() if callable(pids) else [pids]
            sample[name] = {pid: self._cpu(pid) for pid in found}
        return sample

    def reset(self) -> None:
        """Start measuring from now."""
        self._start = self._sample()

    def per_message_ms(self, messages: int) -> dict[str, float]:
        """CPU ms per message of each group since the last reset (then resets)."""
        now = self._sample()
        used = {}
        for name, pids in now.items():
            before = self._start.get(name, {})
            # A process that appeared meanwhile counts from zero.
            seconds = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
            used[name] = seconds * 1000 / max(messages, 1)
        self._start = now
        return used


class PgMeter:
    """WAL bytes and SQL statements per message since the last reset, for ``--pg-stats``.

    WAL is the whole cluster's (``pg_current_wal_insert_lsn()``): it is the bench's own only on a
    PostgreSQL nobody else writes to. Statements are the top-level ``calls`` of
    ``pg_stat_statements`` in the scratch database (BEGIN and COMMIT included, foreign-key checks
    not; an ``executemany`` counts once per row though it is one round trip), or ``None`` when the
    extension is not installed in the server's ``postgres`` database. Neither depends on the
    machine's speed or load.
    """

    def __init__(self, url: str, database: str) -> None:
        self.url = urlsplit(url.replace("+asyncpg", ""))._replace(path="/postgres").geturl()
        self.database = database
        self._conn: asyncpg.Connection | None = None
        self._start: tuple[int, int | None] = (0, None)

    async def connect(self) -> None:
        """Open the meter's own connection (to ``postgres``, so it is not counted) and reset."""
        self._conn = await asyncpg.connect(self.url)
        await self.reset()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    async def _sample(self) -> tuple[int, int | None]:
        assert self._conn is not None
        wal = await self._conn.fetchval("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
        try:
            calls = await self._conn.fetchval(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE toplevel"
                " AND dbid = (SELECT oid FROM pg_database WHERE datname = $1)",
                self.database,
            )
        except asyncpg.UndefinedTableError:
            calls = None
        return int(wal), None if calls is None else int(calls)

    async def reset(self) -> None:
        """Start measuring from now."""
        self._start = await self._sample()

    async def per_message(self, messages: int) -> dict[str, float | None]:
        """WAL bytes and statements per message since the last reset (then resets)."""
        now = await self._sample()
        figures = pg_per_message(self._start, now, messages)
        self._start = now
        return figures


def pg_per_message(
    before: tuple[int, int | None], after: tuple[int, int | None], messages: int
) -> dict[str, float | None]:
    """``{"wal_bytes": …, "statements": …}`` per message between two samples."""
    wal_before, calls_before = before
    wal_after, calls_after = after
    messages = max(messages, 1)
    statements = (
        None
        if calls_before is None or calls_after is None
        else (calls_after - calls_before) / messages
    )
    return {"wal_bytes": (wal_after - wal_before) / messages, "statements": statements}


def postgres_backends(database: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to ``database`` (the bench's own load)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            pids.append(int(entry.name))
    return pids
