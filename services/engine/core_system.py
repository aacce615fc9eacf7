"""The business-integration adapter (R-EN-11): how answers reach the company's core systems.

Answers depend on the :class:`CoreSystem` protocol, never on a concrete system. The shipped
implementation speaks the core system's small JSON API over HTTP with a timeout (documented in
``sandboxes/core_system/``, which serves the embedded default); another core system plugs in by
implementing the protocol.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx


class CoreSystemError(Exception):
    """The core system failed or did not answer in time; answers say "try again later"."""


class NotFound(CoreSystemError):
    """The core system does not know the requested item (e.g. an unknown fund code)."""


class IdentityMismatch(CoreSystemError):
    """The ID number, card number and query password do not belong to one customer."""


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

    async def verify_identity(self, id_number: str, card_no: str, password: str) -> dict[str, Any]:
        """``{"customer_no", "name", "as_of"}`` of the customer these belong to, or
        :class:`IdentityMismatch`. The values are passed through, never kept."""
        ...

    async def balance(self, customer_no: str) -> dict[str, Any]:
        """A customer's accounts with full card numbers (answers mask them) and ``as_of``."""
        ...

    async def transactions(self, customer_no: str, limit: int) -> dict[str, Any]:
        """A customer's last ``limit`` transactions, newest first, with ``as_of``."""
        ...

    async def opening_branch(self, customer_no: str) -> dict[str, Any]:
        """Where each of a customer's accounts was opened (full card numbers), with ``as_of``."""
        ...

    async def holdings(self, customer_no: str) -> dict[str, Any]:
        """A customer's fund and wealth-product positions (``kind``), with ``as_of``."""
        ...

    async def agreements(self, customer_no: str, status: str) -> dict[str, Any]:
        """A customer's ``active`` or ``cancelled`` agreements, newest first, with ``as_of``."""
        ...


class HttpCoreSystem:
    """:class:`CoreSystem` over the core system's HTTP JSON API."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self._http.get(self._base + path, params=params)
        except httpx.HTTPError as exc:
            raise CoreSystemError(f"core system unreachable: {type(exc).__name__}") from exc
        return self._body(path, response)

    @staticmethod
    def _body(path: str, response: httpx.Response) -> dict[str, Any]:
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

    async def verify_identity(self, id_number: str, card_no: str, password: str) -> dict[str, Any]:
        path = "/v1/identity/verify"
        payload = {"id_number": id_number, "card_no": card_no, "password": password}
        try:
            response = await self._http.post(self._base + path, json=payload)
        except httpx.HTTPError as exc:
            raise CoreSystemError(f"core system unreachable: {type(exc).__name__}") from exc
        if response.status_code == 422:
            raise IdentityMismatch(path)
        body = self._body(path, response)
        if not isinstance(body.get("customer_no"), str) or not body["customer_no"]:
            raise CoreSystemError("core system verified an identity without a customer number")
        return body

    async def balance(self, customer_no: str) -> dict[str, Any]:
        return await self._get(f"/v1/customers/{quote(customer_no, safe='')}/balance")

    async def transactions(self, customer_no: str, limit: int) -> dict[str, Any]:
        path = f"/v1/customers/{quote(customer_no, safe='')}/transactions"
        return await self._get(path, {"limit": str(limit)})

    async def opening_branch(self, customer_no: str) -> dict[str, Any]:
        return await self._get(f"/v1/customers/{quote(customer_no, safe='')}/opening-branch")

    async def holdings(self, customer_no: str) -> dict[str, Any]:
        return await self._get(f"/v1/customers/{quote(customer_no, safe='')}/holdings")

    async def agreements(self, customer_no: str, status: str) -> dict[str, Any]:
        path = f"/v1/customers/{quote(customer_no, safe='')}/agreements"
        return await self._get(path, {"status": status})
