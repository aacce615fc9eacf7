"""The public demo data: fund and wealth-product NAVs, FX rates, gold prices, money-fund yields,
deposit rates and promotions."""

from __future__ import annotations

from sandboxes.faults import JsonObject

NAV_DATE = "2025-06-30"

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
