"""Demo data for the embedded default: the demo fund company's account (test credentials), seeded
with its commands and menu keys (``commands.py``) and its wealth-management centres and branches
(``locations.py``). Idempotent: running it again changes nothing that exists.

Every credential here is a public TEST value (docs/wechat-protocol.md §13), never a
real secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Command, Location, MenuAction
from libs.common.secret_box import SecretBox
from wxhub.demo.commands import COMMANDS, MENU_ACTIONS
from wxhub.demo.locations import LOCATIONS


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
