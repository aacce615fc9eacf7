"""Demo data for the embedded default: the demo fund company's account (test credentials),
commands, menu keys, and its wealth-management centres and branches. Idempotent: running it again
changes nothing that exists.

Every credential here is a public TEST value (docs/wechat-protocol.md §13), never a
real secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Command, Location, MenuAction
from libs.common.secret_box import SecretBox


@dataclass(frozen=True)
class DemoAccount:
    """The demo account's test credentials."""

    code: str = "demo"
    name: str = "wxhub 演示基金"
    appid: str = "wxe0b2aa0cdbb2de1d"
    app_secret: str = "wxhub-demo-secret-not-real"
    token: str = "wxhubdemotoken"
    encoding_aes_key: str = "WFvFpOc4yr1ZCUmocbwe6Y5TvI15dQxddWNzj1psCMn"
    original_id: str = "gh_wxhubdemo0001"
    mode: str = "compatible"


DEMO = DemoAccount()

WELCOME = (
    "欢迎关注 wxhub 演示基金！\n"
    "回复“帮助”查看全部指令，例如：\n"
    "· 基金 000001 —— 查询基金净值\n"
    "· 理财 WM0001 —— 查询理财产品净值\n"
    "· 收益 —— 货币基金七日年化\n"
    "发送您的位置，可查找附近的理财中心和网点。"
)

# (name, kind, pattern, handler, params, priority, description, show_in_help)
COMMANDS: list[tuple[str, str, str, str, dict[str, Any], int, str, bool]] = [
    (
        "help",
        "exact",
        "帮助|help|?|？|菜单|menu",
        "help",
        {"example": "帮助"},
        100,
        "显示本帮助",
        False,
    ),
    (
        "fund_nav",
        "prefix",
        "基金|JZ",
        "fund_nav",
        {"example": "基金 000001"},
        50,
        "查询基金最新净值",
        True,
    ),
    (
        "wealth_nav",
        "prefix",
        "理财|LC",
        "wealth_nav",
        {"example": "理财 WM0001"},
        50,
        "查询理财产品净值",
        True,
    ),
    ("fx_rates", "exact", "汇率|外汇|HL", "fx_rates", {"example": "汇率"}, 40, "外汇牌价", True),
    (
        "gold_price",
        "exact",
        "黄金|金价|HJ",
        "gold_price",
        {"example": "黄金"},
        40,
        "黄金行情",
        True,
    ),
    (
        "yields",
        "exact",
        "收益|七日年化|货币基金|利率|存款利率|SY",
        "money_fund_yields",
        {"example": "收益"},
        40,
        "货币基金七日年化及存款利率参考",
        True,
    ),
    (
        "promotions",
        "exact",
        "优惠|活动|YH",
        "promotions",
        {"example": "优惠"},
        40,
        "最新优惠活动",
        True,
    ),
    (
        "nearby",
        "exact",
        "网点|附近|理财中心",
        "nearest_locations",
        {"example": "网点"},
        40,
        "附近的理财中心和网点（请发送位置）",
        True,
    ),
    # Personal queries for bound followers (R-EN-4); the balance and transactions words are built
    # into the engine (WXHUB_PERSONAL_COMMANDS), these are configured like any other command.
    (
        "opening_branch",
        "exact",
        "开户行|开户网点|我的开户行",
        "opening_branch",
        {"example": "开户行"},
        40,
        "查询本人账户的开户行（需先绑定）",
        True,
    ),
    (
        "holdings",
        "exact",
        "持仓|份额|我的持仓|持有份额",
        "holdings",
        {"example": "持仓"},
        40,
        "查询本人基金和理财产品持仓（需先绑定）",
        True,
    ),
    (
        "opened_agreements",
        "exact",
        "开通协议|已开通协议|我的协议",
        "opened_agreements",
        {"example": "开通协议"},
        40,
        "查询已开通的协议（需先绑定）",
        True,
    ),
    (
        "cancelled_agreements",
        "exact",
        "退订协议|已退订协议",
        "cancelled_agreements",
        {"example": "退订协议"},
        40,
        "查询已退订的协议（需先绑定）",
        True,
    ),
    (
        "transfer",
        "prefix",
        "转账汇款|转账|汇款|ZZ",
        "transfer_link",
        {"example": "转账"},
        40,
        "转账汇款（跳转手机银行办理）",
        True,
    ),
    (
        "apply",
        "exact",
        "申请|在线申请|办卡|申请信用卡",
        "apply_link",
        {"example": "申请"},
        40,
        "在线申请信用卡或开户",
        True,
    ),
    (
        "application_progress",
        "exact",
        "进度|申请进度|查进度",
        "application_progress",
        {"example": "进度"},
        40,
        "查询申请的办理进度",
        True,
    ),
    (
        "fund_code_only",
        "regex",
        r"(?P<arg>\d{6})",
        "fund_nav",
        {},
        -10,
        "直接发送 6 位基金代码",
        False,
    ),
]

MENU_ACTIONS: list[tuple[str, str, dict[str, Any], str]] = [
    ("MARKET_FX", "fx_rates", {}, "菜单：外汇牌价"),
    ("MARKET_GOLD", "gold_price", {}, "菜单：黄金行情"),
    ("MARKET_RATES", "money_fund_yields", {}, "菜单：货币基金收益"),
    ("PROMOTIONS", "promotions", {}, "菜单：最新活动"),
    (
        "FUND_NAV",
        "text",
        {"content": "请发送“基金+代码”查询净值，例如：基金 000001"},
        "菜单：基金净值",
    ),
    ("NEARBY", "nearest_locations", {}, "菜单：附近理财中心（location_select）"),
    ("HELP", "help", {}, "菜单：帮助"),
    ("TRANSFER", "transfer_link", {}, "菜单：转账汇款（跳转手机银行）"),
    ("APPLY", "apply_link", {}, "菜单：在线申请"),
]

# (kind, name, address, latitude, longitude, phone, opening hours, tags)
LOCATIONS: list[tuple[str, str, str, float, float, str, str, list[str]]] = [
    (
        "branch",
        "陆家嘴财富管理中心（总部）",
        "上海市浦东新区世纪大道 100 号 20 楼",
        31.2397,
        121.4998,
        "021-50000001",
        "周一至周五 9:00-17:00",
        ["开户", "基金", "理财", "投资顾问"],
    ),
    (
        "branch",
        "人民广场理财中心",
        "上海市黄浦区南京西路 200 号 5 楼",
        31.2336,
        121.4745,
        "021-50000002",
        "周一至周六 9:00-17:00",
        ["基金", "理财"],
    ),
    (
        "branch",
        "徐家汇理财中心",
        "上海市徐汇区漕溪北路 88 号 12 楼",
        31.1937,
        121.4368,
        "021-50000003",
        "周一至周五 9:00-17:00",
        ["基金", "定投"],
    ),
    (
        "branch",
        "静安客户服务中心",
        "上海市静安区南京西路 1686 号 8 楼",
        31.2235,
        121.4460,
        "021-50000004",
        "周一至周五 9:00-17:00",
        ["开户", "资料变更", "非交易过户"],
    ),
    (
        "branch",
        "北京分公司金融街理财中心",
        "北京市西城区金融大街 7 号 9 楼",
        39.9155,
        116.3575,
        "010-60000001",
        "周一至周五 9:00-17:00",
        ["基金", "理财", "机构业务"],
    ),
    (
        "promotion",
        "陆家嘴投资者教育沙龙",
        "上海市浦东新区世纪大道 100 号 20 楼",
        31.2399,
        121.4995,
        "021-50000001",
        "每周六 14:00-16:00（11 月 1 日至 12 月 31 日）",
        ["投资者教育"],
    ),
]


async def seed_demo(session: AsyncSession, box: SecretBox) -> Account:
    """Create the demo account and its configuration if missing; returns the account."""
    account = await session.scalar(select(Account).where(Account.code == DEMO.code))
    if account is not None:
        return account
    account = Account(
        code=DEMO.code,
        name=DEMO.name,
        appid=DEMO.appid,
        original_id=DEMO.original_id,
        mode=DEMO.mode,
        app_secret_enc=box.encrypt(DEMO.app_secret),
        token_enc=box.encrypt(DEMO.token),
        aes_key_enc=box.encrypt(DEMO.encoding_aes_key),
        welcome_text=WELCOME,
        help_header="您好！回复以下指令即可查询：",
    )
    session.add(account)
    await session.flush()
    for name, kind, pattern, handler, params, priority, description, show in COMMANDS:
        session.add(
            Command(
                account_id=account.id,
                name=name,
                match_kind=kind,
                pattern=pattern,
                handler=handler,
                params=params,
                priority=priority,
                description=description,
                show_in_help=show,
            )
        )
    for key, handler, params, description in MENU_ACTIONS:
        session.add(
            MenuAction(
                account_id=account.id,
                key=key,
                handler=handler,
                params=params,
                description=description,
            )
        )
    for kind, name, address, lat, lon, phone, hours, tags in LOCATIONS:
        session.add(
            Location(
                account_id=account.id,
                kind=kind,
                name=name,
                address=address,
                latitude=lat,
                longitude=lon,
                phone=phone,
                opening_hours=hours,
                tags=tags,
            )
        )
    await session.flush()
    return account
