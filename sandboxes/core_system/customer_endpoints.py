"""Personal-data endpoints of a bound customer: balance, transactions, holdings, opening branch
and agreements."""

from __future__ import annotations

from starlette.requests import Request

from sandboxes.core_system.customers import CUSTOMERS
from sandboxes.core_system.market_data import FUNDS, NAV_DATE, WEALTH
from sandboxes.core_system.replies import AS_OF, not_found, ok
from sandboxes.endpoint import Reply
from sandboxes.faults import JsonObject

MAX_TRANSACTIONS = 50


async def balance(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/balance``."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return not_found("customer_not_found")
    accounts = customer["accounts"]
    return ok(
        {
            "customer_no": customer_no,
            "name": customer["name"],
            "as_of": AS_OF,
            "total_assets": round(sum(a["balance"] for a in accounts), 2),
            "accounts": accounts,
        }
    )


async def transactions(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/transactions?limit=``."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return not_found("customer_not_found")
    raw = request.query_params.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TRANSACTIONS:
        return Reply({"error": "invalid_limit"}, "400", 400)
    items = [
        {"date": d, "card_no": card, "description": text, "amount": amount, "balance": after}
        for d, card, text, amount, after in customer["transactions"][: int(raw)]
    ]
    return ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})


def _holding(kind: str, code: str, shares: float, cost: float) -> JsonObject:
    name, nav, _, _ = (FUNDS if kind == "fund" else WEALTH)[code]
    value = round(shares * nav, 2)
    return {
        "kind": kind,
        "code": code,
        "name": name,
        "shares": shares,
        "nav": nav,
        "nav_date": NAV_DATE,
        "market_value": value,
        "cost": cost,
        "profit": round(value - cost, 2),
    }


async def holdings(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/holdings``: fund and wealth-product positions."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return not_found("customer_not_found")
    items = [_holding("fund", *row) for row in customer["holdings"]]
    items += [_holding("wealth", *row) for row in customer["wealth_holdings"]]
    total = round(sum(i["market_value"] for i in items), 2)
    return ok(
        {"customer_no": customer_no, "as_of": AS_OF, "total_market_value": total, "items": items}
    )


async def opening_branch(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/opening-branch``: where each account was opened."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return not_found("customer_not_found")
    items = []
    for account in customer["accounts"]:
        branch, code, address, phone, opened_on = customer["branches"][account["card_no"]]
        items.append(
            {
                "card_no": account["card_no"],
                "type": account["type"],
                "bank": "演示银行",
                "branch": branch,
                "branch_code": code,
                "address": address,
                "phone": phone,
                "opened_on": opened_on,
            }
        )
    return ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})


async def agreements(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/agreements?status=``."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return not_found("customer_not_found")
    wanted = request.query_params.get("status")
    if wanted not in (None, "active", "cancelled"):
        return Reply({"error": "invalid_status"}, "400", 400)
    items = []
    for number, name, code, card, terms, signed_on, cancelled_on in customer["agreements"]:
        status = "cancelled" if cancelled_on else "active"
        if wanted and status != wanted:
            continue
        product = (FUNDS.get(code) or WEALTH.get(code)) if code else None
        items.append(
            {
                "agreement_no": number,
                "name": name,
                "product_code": code,
                "product_name": product[0] if product else None,
                "card_no": card,
                "terms": terms,
                "signed_on": signed_on,
                "cancelled_on": cancelled_on,
                "status": status,
            }
        )
    items.sort(key=lambda item: item["cancelled_on"] or item["signed_on"], reverse=True)
    return ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})
