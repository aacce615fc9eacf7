"""The business-integration adapter (R-EN-11): how answers reach the company's core systems.

Answers depend on the :class:`CoreSystem` protocol, never on a concrete system. The shipped
implementation speaks the core system's small JSON API over HTTP with a timeout (documented in
``sandboxes/core_system.py``, which serves the embedded default); another core system plugs in by
implementing the protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx


class CoreSystemError(Exception):
    """The core system failed or did not answer in time; answers say "try again later"."""


class NotFound(CoreSystemError):
    """The core system does not know the requested item (e.g. an unknown fund code)."""


class CoreSystem(Protocol):
    """Read-only queries answers may make."""

    async def fund_nav(self, code: str) -> dict[str, Any]:
        """Latest NAV of a fund."""
        ...

    async def wealth_nav(self, code: str) -> dict[str, Any]:
        """Latest NAV of a wealth-management product."""
        ...

    async def fx_rates(self) -> dict[str, Any]:
        """Foreign-exchange rates."""
        ...

    async def gold_price(self) -> dict[str, Any]:
        """Gold prices."""
        ...

    async def yields(self) -> dict[str, Any]:
        """Money-market funds' seven-day yields, with deposit rates for reference."""
        ...

    async def promotions(self) -> dict[str, Any]:
        """Current promotions."""
        ...


class HttpCoreSystem:
    """:class:`CoreSystem` over the core system's HTTP JSON API."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def _get(self, path: str) -> dict[str, Any]:
        try:
            response = await self._http.get(self._base + path)
        except httpx.HTTPError as exc:
            raise CoreSystemError(f"core system unreachable: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code != 200:
            raise CoreSystemError(f"core system answered HTTP {response.status_code}")
        body = response.json()
        if not isinstance(body, dict):
            raise CoreSystemError("core system answered something other than an object")
        return body

    async def fund_nav(self, code: str) -> dict[str, Any]:
        return await self._get(f"/v1/funds/{code}/nav")

    async def wealth_nav(self, code: str) -> dict[str, Any]:
        return await self._get(f"/v1/wealth/{code}/nav")

    async def fx_rates(self) -> dict[str, Any]:
        return await self._get("/v1/fx/rates")

    async def gold_price(self) -> dict[str, Any]:
        return await self._get("/v1/gold/price")

    async def yields(self) -> dict[str, Any]:
        return await self._get("/v1/rates/yields")

    async def promotions(self) -> dict[str, Any]:
        return await self._get("/v1/promotions")
