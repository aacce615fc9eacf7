"""``wxhub stats-export DAY``: raw stats events of one UTC day, before retention drops them."""

from __future__ import annotations

from datetime import date
from typing import TextIO

from libs.common.db import make_engine, make_sessionmaker
from services.stats.settings import StatsSettings
from services.stats.store import export_day


async def write_day(day: date, fmt: str, out: TextIO) -> int:
    """Write the day's events as ``jsonl`` or ``csv`` to ``out``; returns the lines written."""
    engine = make_engine(StatsSettings().database_url)
    lines = 0
    try:
        async for line in export_day(make_sessionmaker(engine), day, fmt):
            out.write(line)
            lines += 1
    finally:
        await engine.dispose()
    return lines
