"""The shared connections a service runs on: bus, database, callback ledger, secret box.

``wxhub dev`` opens one set and hands it to every service in the process; a service started on its
own (``python -m services.<name>``) opens its own from its settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from libs.common.bus import Bus, default_topology, make_bus
from libs.common.callback_ledger import CallbackLedger, make_callback_ledger
from libs.common.db import make_engine, make_sessionmaker
from libs.common.secret_box import SecretBox
from libs.common.settings import CommonSettings


@dataclass
class Resources:
    """Connections shared by the services of one process."""

    bus: Bus
    db_engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    ledger: CallbackLedger
    secret_box: SecretBox
    _closers: list[str] = field(default_factory=list)

    async def close(self) -> None:
        """Close what :func:`open_resources` opened (not what the caller passed in)."""
        if "ledger" in self._closers:
            await self.ledger.close()
        if "bus" in self._closers:
            await self.bus.close()
        if "db" in self._closers:
            await self.db_engine.dispose()


async def open_resources(
    settings: CommonSettings,
    *,
    bus: Bus | None = None,
    ledger: CallbackLedger | None = None,
    db_engine: AsyncEngine | None = None,
) -> Resources:
    """Connect to the bus (declaring the topology), the database and the ledger."""
    closers: list[str] = []
    if bus is None:
        bus = make_bus(settings)
        await bus.connect()
        await bus.declare(default_topology())
        closers.append("bus")
    if db_engine is None:
        db_engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pre_ping=settings.db_pool_pre_ping,
        )
        closers.append("db")
    if ledger is None:
        ledger = make_callback_ledger(
            settings.redis_url, prefix=f"wxhub:{settings.bus_namespace}cb:"
        )
        closers.append("ledger")
    return Resources(
        bus=bus,
        db_engine=db_engine,
        sessions=make_sessionmaker(db_engine),
        ledger=ledger,
        secret_box=SecretBox(settings.secret_key, settings.previous_secret_keys),
        _closers=closers,
    )
