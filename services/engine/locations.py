"""Nearest branches, ATMs and promotions around a point (R-EN-3)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import Location
from libs.common.ttl_cache import TtlCache
from services.engine.geo import distance_km


@dataclass(frozen=True, slots=True)
class Place:
    """A location as the engine shows it."""

    kind: str
    name: str
    address: str
    latitude: float
    longitude: float
    phone: str
    opening_hours: str
    url: str
    pic_url: str


@dataclass(frozen=True, slots=True)
class NearbyPlace:
    """A place and how far it is."""

    place: Place
    distance_km: float


class LocationFinder:
    """Finds places within a radius, nearest first; the per-account list is cached briefly."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        radius_km: float,
        max_results: int,
        ttl_s: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self.radius_km = radius_km
        self.max_results = max_results
        self._cache: TtlCache[int, list[Place]] = TtlCache(ttl_s)

    async def nearest(
        self,
        account_id: int,
        latitude: float,
        longitude: float,
        *,
        kinds: Collection[str] | None = None,
        radius_km: float | None = None,
        limit: int | None = None,
    ) -> list[NearbyPlace]:
        """Places of ``kinds`` within ``radius_km``, nearest first, at most ``limit``."""
        radius = self.radius_km if radius_km is None else radius_km
        places = await self._places(account_id)
        nearby = [
            NearbyPlace(p, d)
            for p in places
            if (kinds is None or p.kind in kinds)
            and (d := distance_km(latitude, longitude, p.latitude, p.longitude)) <= radius
        ]
        nearby.sort(key=lambda n: n.distance_km)
        return nearby[: limit or self.max_results]

    async def _places(self, account_id: int) -> list[Place]:
        return await self._cache.get_or_load(account_id, lambda: self._load(account_id))

    async def _load(self, account_id: int) -> list[Place]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(Location).where(Location.account_id == account_id, Location.enabled)
                )
            ).all()
        return [
            Place(
                r.kind,
                r.name,
                r.address,
                r.latitude,
                r.longitude,
                r.phone,
                r.opening_hours,
                r.url,
                r.pic_url,
            )
            for r in rows
        ]
