"""Public-data endpoints: NAVs, FX rates, gold prices, yields and promotions."""

from __future__ import annotations

from starlette.requests import Request

from sandboxes.core_system.market_data import (
    DEPOSIT_RATES,
    FUNDS,
    FX_RATES,
    GOLD,
    MONEY_FUNDS,
    NAV_DATE,
    PROMOTIONS,
    WEALTH,
)
from sandboxes.core_system.replies import AS_OF, not_found, ok
from sandboxes.endpoint import Reply
from sandboxes.faults import JsonObject


def _nav(code: str, row: tuple[str, float, float, float]) -> JsonObject:
    name, nav, accumulated, change = row
    return {
        "code": code,
        "name": name,
        "nav": nav,
        "accumulated_nav": accumulated,
        "nav_date": NAV_DATE,
        "daily_change_pct": change,
        "as_of": AS_OF,
    }


async def fund_nav(request: Request) -> Reply:
    """``GET /v1/funds/{code}/nav``."""
    code = request.path_params["code"]
    row = FUNDS.get(code)
    return ok(_nav(code, row)) if row else not_found("fund_not_found")


async def wealth_nav(request: Request) -> Reply:
    """``GET /v1/wealth/{code}/nav``."""
    code = request.path_params["code"]
    row = WEALTH.get(code)
    return ok(_nav(code, row)) if row else not_found("product_not_found")


async def fx_rates(request: Request) -> Reply:
    """``GET /v1/fx/rates``."""
    return ok({"as_of": AS_OF, "rates": FX_RATES})


async def gold_price(request: Request) -> Reply:
    """``GET /v1/gold/price``."""
    return ok({"as_of": AS_OF, "items": GOLD})


async def yields(request: Request) -> Reply:
    """``GET /v1/rates/yields``."""
    return ok({"as_of": AS_OF, "money_funds": MONEY_FUNDS, "deposit": DEPOSIT_RATES})


async def promotions(request: Request) -> Reply:
    """``GET /v1/promotions``."""
    return ok({"as_of": AS_OF, "items": PROMOTIONS})
