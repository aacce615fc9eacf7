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
"""

from __future__ import annotations

import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from sandboxes.control import control_routes
from sandboxes.endpoint import Clock, Reply, SandboxBase, recorded
from sandboxes.faults import FaultBook, JsonObject
from sandboxes.recording import CallLog

AS_OF = "2025-06-30T15:00:00+08:00"
NAV_DATE = "2025-06-30"
MAX_TRANSACTIONS = 50

# code: (name, nav, accumulated_nav, daily_change_pct)
FUNDS: dict[str, tuple[str, float, float, float]] = {
    "000001": ("演示成长混合", 1.2345, 3.8765, 0.85),
    "000011": ("演示大盘精选混合", 2.0310, 4.5120, -0.42),
    "110022": ("演示消费行业股票", 3.1820, 3.1820, 1.27),
    "161725": ("演示白酒指数(LOF)A", 0.9876, 2.6543, -1.05),
    "005827": ("演示蓝筹精选混合", 1.7654, 1.7654, 0.31),
    "000198": ("演示天天理财货币A", 1.0000, 1.0000, 0.00),
    "003474": ("演示现金宝货币A", 1.0000, 1.0000, 0.00),
    "519674": ("演示创新成长混合", 4.2031, 4.9031, 2.14),
    "001632": ("演示稳健纯债债券A", 1.0862, 1.2562, 0.02),
}
WEALTH: dict[str, tuple[str, float, float, float]] = {
    "WM0001": ("演示稳享90天持有期理财", 1.0213, 1.0213, 0.01),
    "WM0002": ("演示季季盈固收增强", 1.0457, 1.1157, 0.03),
    "WM0003": ("演示年年红混合类理财", 0.9982, 1.0682, -0.08),
}
FX_RATES: list[JsonObject] = [
    {"currency": "USD", "name": "美元", "buy": 716.52, "sell": 719.53},
    {"currency": "EUR", "name": "欧元", "buy": 838.37, "sell": 844.55},
    {"currency": "JPY", "name": "日元", "buy": 4.9512, "sell": 4.9896},
    {"currency": "HKD", "name": "港币", "buy": 91.26, "sell": 91.63},
    {"currency": "GBP", "name": "英镑", "buy": 980.12, "sell": 987.33},
]
GOLD: list[JsonObject] = [
    {"product": "Au99.99", "price": 765.30, "unit": "元/克", "change_pct": 0.42},
    {"product": "Au(T+D)", "price": 764.85, "unit": "元/克", "change_pct": 0.38},
    {"product": "Ag(T+D)", "price": 8.812, "unit": "元/克", "change_pct": -0.61},
]
DEPOSIT_RATES: list[JsonObject] = [
    {"term": "活期", "rate": 0.05},
    {"term": "三个月", "rate": 0.65},
    {"term": "六个月", "rate": 0.85},
    {"term": "一年", "rate": 0.95},
    {"term": "二年", "rate": 1.05},
    {"term": "三年", "rate": 1.25},
    {"term": "五年", "rate": 1.30},
]
MONEY_FUNDS: list[JsonObject] = [
    {
        "code": "000198",
        "name": "演示天天理财货币A",
        "seven_day_yield": 1.852,
        "income_per_10k": 0.4932,
    },
    {
        "code": "003474",
        "name": "演示现金宝货币A",
        "seven_day_yield": 1.716,
        "income_per_10k": 0.4617,
    },
]
PROMOTIONS: list[JsonObject] = [
    {
        "title": "定投满一年送体检券",
        "summary": "活动期间新开定投并连续扣款12期，赠送体检券一张。",
        "url": "https://example.com/promotions/sip-2025",
        "valid_until": "2025-12-31",
    },
    {
        "title": "货币基金转购费率1折",
        "summary": "从演示天天理财货币A转购权益基金，申购费率享1折。",
        "url": "https://example.com/promotions/switch-discount",
        "valid_until": "2025-09-30",
    },
]
CUSTOMERS: dict[str, JsonObject] = {
    "C00000001": {
        "name": "张三",
        "accounts": [
            {
                "card_no": "6222020000000012345",
                "type": "借记卡",
                "currency": "CNY",
                "balance": 52340.18,
                "available": 50340.18,
            },
            {
                "card_no": "6222020000000067890",
                "type": "借记卡",
                "currency": "CNY",
                "balance": 1200.00,
                "available": 1200.00,
            },
        ],
        "holdings": [("000001", 10000.00, 11000.00), ("001632", 20000.00, 21300.00)],
        "wealth_holdings": [("WM0002", 50000.00, 50000.00)],
        "branches": {
            "6222020000000012345": (
                "演示银行上海陆家嘴支行",
                "310290000123",
                "上海市浦东新区陆家嘴环路 1000 号",
                "021-58880001",
                "2019-04-12",
            ),
            "6222020000000067890": (
                "演示银行上海徐家汇支行",
                "310290000456",
                "上海市徐汇区肇嘉浜路 1111 号",
                "021-64880002",
                "2021-09-03",
            ),
        },
        # (agreement_no, name, product code, card, terms, signed_on, cancelled_on)
        "agreements": [
            (
                "AG202403010002",
                "自动理财协议",
                "WM0001",
                "6222020000000012345",
                "活期余额超过 5,000.00 元自动申购",
                "2024-03-01",
                None,
            ),
            (
                "AG202401150001",
                "基金定投协议",
                "000001",
                "6222020000000012345",
                "每月 15 日定投 1,000.00 元",
                "2024-01-15",
                None,
            ),
            (
                "AG202306200003",
                "基金定投协议",
                "110022",
                "6222020000000067890",
                "每月 20 日定投 500.00 元",
                "2023-06-20",
                "2025-02-28",
            ),
            (
                "AG202209010004",
                "快捷支付协议",
                None,
                "6222020000000067890",
                "单笔限额 50,000.00 元",
                "2022-09-01",
                "2024-11-30",
            ),
        ],
        "transactions": [
            ("2025-06-30", "6222020000000012345", "基金申购 000001", -5000.00, 52340.18),
            ("2025-06-28", "6222020000000012345", "工资", 18500.00, 57340.18),
            ("2025-06-25", "6222020000000067890", "转账收入", 1200.00, 1200.00),
            ("2025-06-20", "6222020000000012345", "信用卡还款", -3210.55, 38840.18),
            ("2025-06-15", "6222020000000012345", "基金赎回 005827", 8000.00, 42050.73),
        ],
    },
    "C00000002": {
        "name": "李四",
        "accounts": [
            {
                "card_no": "6217000000000054321",
                "type": "借记卡",
                "currency": "CNY",
                "balance": 8800.00,
                "available": 8800.00,
            }
        ],
        "holdings": [("000198", 5000.00, 5000.00)],
        "wealth_holdings": [],
        "branches": {
            "6217000000000054321": (
                "演示银行北京金融街支行",
                "110100000789",
                "北京市西城区金融大街 9 号",
                "010-66880003",
                "2023-02-20",
            ),
        },
        "agreements": [
            (
                "AG202501100005",
                "快捷支付协议",
                None,
                "6217000000000054321",
                "单笔限额 20,000.00 元",
                "2025-01-10",
                None,
            ),
        ],
        "transactions": [
            ("2025-06-29", "6217000000000054321", "货币基金收益", 0.68, 8800.00),
        ],
    },
}


# (id_number, card_no, query password) → customer_no: the demo customers' test identities.
IDENTITIES: dict[tuple[str, str, str], str] = {
    ("110101199003070011", "6222020000000012345", "123456"): "C00000001",
    ("310101198506150024", "6217000000000054321", "654321"): "C00000002",
}
_IDENTITY_FIELDS = ("id_number", "card_no", "password")


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


def _not_found(error: str) -> Reply:
    return Reply({"error": error}, "404", 404)


def _ok(body: JsonObject) -> Reply:
    return Reply(body, "200")


class CoreSystemState(SandboxBase):
    """The core-system sandbox's faults and call log; the data are module constants."""

    def __init__(self, *, call_log_size: int = 10_000, clock: Clock = time.time) -> None:
        super().__init__(
            faults=FaultBook(status_body=lambda status: {"error": f"http_{status}"}),
            calls=CallLog(call_log_size),
            clock=clock,
        )


async def fund_nav(request: Request) -> Reply:
    """``GET /v1/funds/{code}/nav``."""
    code = request.path_params["code"]
    row = FUNDS.get(code)
    return _ok(_nav(code, row)) if row else _not_found("fund_not_found")


async def wealth_nav(request: Request) -> Reply:
    """``GET /v1/wealth/{code}/nav``."""
    code = request.path_params["code"]
    row = WEALTH.get(code)
    return _ok(_nav(code, row)) if row else _not_found("product_not_found")


async def fx_rates(request: Request) -> Reply:
    """``GET /v1/fx/rates``."""
    return _ok({"as_of": AS_OF, "rates": FX_RATES})


async def gold_price(request: Request) -> Reply:
    """``GET /v1/gold/price``."""
    return _ok({"as_of": AS_OF, "items": GOLD})


async def yields(request: Request) -> Reply:
    """``GET /v1/rates/yields``."""
    return _ok({"as_of": AS_OF, "money_funds": MONEY_FUNDS, "deposit": DEPOSIT_RATES})


async def promotions(request: Request) -> Reply:
    """``GET /v1/promotions``."""
    return _ok({"as_of": AS_OF, "items": PROMOTIONS})


async def balance(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/balance``."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return _not_found("customer_not_found")
    accounts = customer["accounts"]
    return _ok(
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
        return _not_found("customer_not_found")
    raw = request.query_params.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TRANSACTIONS:
        return Reply({"error": "invalid_limit"}, "400", 400)
    items = [
        {"date": d, "card_no": card, "description": text, "amount": amount, "balance": after}
        for d, card, text, amount, after in customer["transactions"][: int(raw)]
    ]
    return _ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})


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
        return _not_found("customer_not_found")
    items = [_holding("fund", *row) for row in customer["holdings"]]
    items += [_holding("wealth", *row) for row in customer["wealth_holdings"]]
    total = round(sum(i["market_value"] for i in items), 2)
    return _ok(
        {"customer_no": customer_no, "as_of": AS_OF, "total_market_value": total, "items": items}
    )


async def opening_branch(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/opening-branch``: where each account was opened."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return _not_found("customer_not_found")
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
    return _ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})


async def agreements(request: Request) -> Reply:
    """``GET /v1/customers/{customer_no}/agreements?status=``."""
    customer_no = request.path_params["customer_no"]
    customer = CUSTOMERS.get(customer_no)
    if customer is None:
        return _not_found("customer_not_found")
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
    return _ok({"customer_no": customer_no, "as_of": AS_OF, "items": items})


async def verify_identity(request: Request) -> Reply:
    """``POST /v1/identity/verify``: which customer the ID number, card and password belong to."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(name), str) for name in _IDENTITY_FIELDS
    ):
        return Reply({"error": "invalid_request"}, "400", 400, logged_body={"fields": "invalid"})
    # Personal data never reaches the call log: only that the fields were present.
    logged = {"fields": sorted(name for name in _IDENTITY_FIELDS if body.get(name))}
    key = (body["id_number"].upper(), body["card_no"], body["password"])
    customer_no = IDENTITIES.get(key)
    if customer_no is None:
        return Reply({"error": "identity_mismatch"}, "422", 422, logged_body=logged)
    reply = {"customer_no": customer_no, "name": CUSTOMERS[customer_no]["name"], "as_of": AS_OF}
    return Reply(reply, "200", logged_body=logged)


def build_app(state: CoreSystemState | None = None) -> Starlette:
    """The demo core-system app; its state is ``app.state.sandbox``."""
    core = state or CoreSystemState()
    endpoints = [
        ("/v1/funds/{code}/nav", fund_nav),
        ("/v1/wealth/{code}/nav", wealth_nav),
        ("/v1/fx/rates", fx_rates),
        ("/v1/gold/price", gold_price),
        ("/v1/rates/yields", yields),
        ("/v1/promotions", promotions),
        ("/v1/customers/{customer_no}/balance", balance),
        ("/v1/customers/{customer_no}/transactions", transactions),
        ("/v1/customers/{customer_no}/holdings", holdings),
        ("/v1/customers/{customer_no}/opening-branch", opening_branch),
        ("/v1/customers/{customer_no}/agreements", agreements),
    ]
    routes = [
        Route(path, recorded(core, handler, lambda body: "200"), methods=["GET"])
        for path, handler in endpoints
    ]
    routes.append(
        Route(
            "/v1/identity/verify",
            recorded(core, verify_identity, lambda body: "200"),
            methods=["POST"],
        )
    )
    app = Starlette(routes=[*routes, *control_routes(core)])
    app.state.sandbox = core
    return app
