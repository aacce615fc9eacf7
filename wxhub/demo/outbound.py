"""Demo data for the outbound path: the business system ``demo-core``, the reminder types
``balance_change`` and ``fund_confirm`` of the demo account, and a few bound demo customers.

Idempotent: running it again changes nothing that exists. The system secret below is a public
TEST value printed by ``wxhub dev``, never a real secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.customer_numbers import sealed
from libs.common.db.models import Account, BusinessSystem, Customer, ReminderType
from libs.common.secret_box import SecretBox
from wxhub.demo.account import DEMO, seed_demo


@dataclass(frozen=True)
class DemoSystem:
    """The demo business system and its TEST secret."""

    code: str = "demo-core"
    name: str = "演示核心系统"
    secret: str = "demo-core-secret-not-real"


DEMO_SYSTEM = DemoSystem()

# event_type → ReminderType fields. ``template_fields`` maps WeChat category-template keys to
# format strings over the notification's ``data`` (docs/wechat-protocol.md §8.3).
REMINDER_TYPES: dict[str, dict[str, Any]] = {
    "balance_change": {
        "name": "交易账户资金变动提醒",
        "template_id": "wxhub-demo-tpl-balance-change",
        "template_fields": {
            "character_string1": "{account_tail}",
            "time2": "{time}",
            "amount3": "{amount}",
            "amount4": "{balance}",
        },
        "cs_text": (
            "【资金变动提醒】您尾号{account_tail}的基金交易账户于{time}资金变动{amount}元，"
            "当前可用余额{balance}元。"
        ),
        "sms_text": (
            "【wxhub演示基金】您尾号{account_tail}的基金交易账户于{time}资金变动{amount}元，"
            "可用余额{balance}元。如非本人操作请致电客服。"
        ),
        "fallback_allowed": True,
        # Money moving on the account: the customer hears of it even after unfollowing.
        "sms_to_unsubscribed": True,
        "default_fallback": "sms",
        "default_priority": "alert",
    },
    "fund_confirm": {
        "name": "基金申购确认",
        "template_id": "wxhub-demo-tpl-fund-confirm",
        "template_fields": {
            "thing1": "{fund_name}",
            "character_string2": "{fund_code}",
            "amount3": "{amount}",
            "number4": "{shares}",
            "date5": "{confirm_date}",
        },
        "cs_text": (
            "【基金申购确认】您申购的{fund_name}（{fund_code}）{amount}元已于{confirm_date}"
            "确认，确认份额{shares}份。"
        ),
        "sms_text": (
            "【wxhub演示基金】您申购的{fund_name}({fund_code}){amount}元已于{confirm_date}确认，"
            "份额{shares}份。"
        ),
        "fallback_allowed": True,
        "default_fallback": "sms",
        "default_priority": "alert",
    },
}

# (openid, customer_no, phone): bound followers of the demo account (test values).
CUSTOMERS: list[tuple[str, str, str]] = [
    ("oWxhubDemoCustomer0000000001", "C00000001", "13800000001"),
    ("oWxhubDemoCustomer0000000002", "C00000002", "13800000002"),
    ("oWxhubDemoCustomer0000000003", "C00000003", "13800000003"),
    ("oWxhubDemoCustomer0000000004", "C00000004", "13800000004"),
    ("oWxhubDemoCustomer0000000005", "C00000005", "13800000005"),
]


async def seed_outbound_demo(session: AsyncSession, box: SecretBox) -> BusinessSystem:
    """Create the demo business system, reminder types and customers if missing."""
    account = await session.scalar(select(Account).where(Account.code == DEMO.code))
    if account is None:
        account = await seed_demo(session, box)
    system = await session.scalar(
        select(BusinessSystem).where(BusinessSystem.code == DEMO_SYSTEM.code)
    )
    if system is None:
        system = BusinessSystem(
            code=DEMO_SYSTEM.code, name=DEMO_SYSTEM.name, secret_enc=box.encrypt(DEMO_SYSTEM.secret)
        )
        session.add(system)
    known_types = set(
        await session.scalars(
            select(ReminderType.event_type).where(ReminderType.account_id == account.id)
        )
    )
    for event_type, fields in REMINDER_TYPES.items():
        if event_type not in known_types:
            session.add(ReminderType(account_id=account.id, event_type=event_type, **fields))
    known_openids = set(
        await session.scalars(select(Customer.openid).where(Customer.account_id == account.id))
    )
    for openid, customer_no, phone in CUSTOMERS:
        if openid not in known_openids:
            session.add(
                Customer(
                    account_id=account.id,
                    openid=openid,
                    **sealed(box, customer_no),
                    phone_enc=box.encrypt(phone),
                    binding_state="bound",
                )
            )
    await session.flush()
    return system
