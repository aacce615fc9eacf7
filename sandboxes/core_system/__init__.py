"""Demo core system of the fund company (port 8092 in dev): the contract of R-EN-11's adapter.

All answers are JSON with fixed demo values (nothing random); every body carries ``as_of``
(ISO 8601, +08:00). Money is in CNY, rates and changes in percent. Unknown codes answer 404.

Public data
-----------
``GET /v1/funds/{code}/nav``
    → ``{"code", "name", "nav", "accumulated_nav", "nav_date", "daily_change_pct", "as_of"}``;
    404 ``{"error": "fund_not_found"}``. Demo codes: 000001, 000011, 110022, 161725, 005827,
    000198, 003474 (money-market), 519674, 001632.
``GET /v1/wealth/{code}/nav``
    Wealth-product NAV, same shape; 404 ``{"error": "product_not_found"}``.
    Demo codes: WM0001, WM0002, WM0003.
``GET /v1/fx/rates``
    → ``{"as_of", "rates": [{"currency": "USD", "name": "美元", "buy", "sell"}, …]}``
    (CNY per 100 units of the currency).
``GET /v1/gold/price``
    → ``{"as_of", "items": [{"product": "Au99.99", "price", "unit": "元/克", "change_pct"}, …]}``.
``GET /v1/rates/yields``
    → ``{"as_of", "money_funds": [{"code", "name", "seven_day_yield", "income_per_10k"}, …],
    "deposit": [{"term": "活期", "rate"}, …]}``: money-market funds' seven-day annualised yield
    (percent) and income per 10,000 shares (CNY), with deposit rates for reference.
``GET /v1/promotions``
    → ``{"as_of", "items": [{"title", "summary", "url", "valid_until"}, …]}``.

Personal data (for bound customers; card numbers are full, the engine masks them)
---------------------------------------------------------------------------------
``POST /v1/identity/verify``
    Body ``{"id_number", "card_no", "password"}`` (the query password) → ``{"customer_no",
    "name", "as_of"}`` when all three belong to one customer; 422 ``{"error":
    "identity_mismatch"}`` otherwise, 400 ``{"error": "invalid_request"}`` for a malformed body.
    The call log records only which fields were sent, never their values. Demo identities
    (test values): see :data:`IDENTITIES`.
``GET /v1/customers/{customer_no}/balance``
    → ``{"customer_no", "name", "as_of", "total_assets", "accounts": [{"card_no", "type",
    "currency", "balance", "available"}]}``; 404 ``{"error": "customer_not_found"}``.
    Demo customers: C00000001, C00000002 (the demo account's bound followers 1 and 2).
``GET /v1/customers/{customer_no}/transactions?limit=`` (1..50, default 10)
    → ``{"customer_no", "as_of", "items": [{"date", "card_no", "description", "amount",
    "balance"}]}`` newest first; 400 ``{"error": "invalid_limit"}``.
``GET /v1/customers/{customer_no}/holdings``
    → ``{"customer_no", "as_of", "total_market_value", "items": [{"kind", "code", "name",
    "shares", "nav", "nav_date", "market_value", "cost", "profit"}]}``, ``kind`` ``fund`` or
    ``wealth`` (wealth-management products), funds first.
``GET /v1/customers/{customer_no}/opening-branch``
    → ``{"customer_no", "as_of", "items": [{"card_no", "type", "bank", "branch",
    "branch_code", "address", "phone", "opened_on"}]}``: where each of the customer's accounts
    was opened (开户行).
``GET /v1/customers/{customer_no}/agreements?status=`` (``active`` or ``cancelled``; both when
    omitted) → ``{"customer_no", "as_of", "items": [{"agreement_no", "name", "product_code",
    "product_name", "card_no", "terms", "signed_on", "cancelled_on", "status"}]}`` newest first
    (``product_code`` and ``cancelled_on`` may be null); 400 ``{"error": "invalid_status"}``.

Control API (``/__sandbox__/``)
-------------------------------
``POST|GET|DELETE /__sandbox__/faults`` (see :mod:`sandboxes.faults`: ``latency_ms``,
``http_status``, ``body``, ``count`` / ``percent`` / ``seed``; paths may be globs such as
``/v1/funds/*``), ``GET|DELETE /__sandbox__/calls``, ``GET /__sandbox__/stats``
(outcome = HTTP status).

One module per part: ``market_data.py`` and ``customers.py`` hold the demo data,
``market_endpoints.py`` answers the public data, ``customer_endpoints.py`` the personal data,
``identity.py`` the identity check, ``replies.py`` what they share; ``app.py`` routes them.
"""

from __future__ import annotations

from sandboxes.core_system.app import CoreSystemState, build_app
from sandboxes.core_system.identity import IDENTITIES

__all__ = ["IDENTITIES", "CoreSystemState", "build_app"]
