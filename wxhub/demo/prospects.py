"""Demo data for prospects (R-EN-8): one application waiting on the admin app's applications page.
Idempotent. The name and number are TEST values, not a real person."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Application
from libs.common.secret_box import SecretBox
from wxhub.demo.account import DEMO

# (openid, name, phone, product code, product name)
APPLICATIONS: list[tuple[str, str, str, str, str]] = [
    ("oWxhubDemoProspect0000000001", "王小明", "13900000021", "credit_card", "标准信用卡"),
]


async def seed_prospects_demo(session: AsyncSession, box: SecretBox) -> None:
    """Add the demo applications to the demo account unless they are there."""
    account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
    if account_id is None:
        return
    known = set(
        await session.scalars(
            select(Application.openid).where(Application.account_id == account_id)
        )
    )
    for openid, name, phone, product, product_name in APPLICATIONS:
        if openid not in known:
            session.add(
                Application(
                    account_id=account_id,
                    openid=openid,
                    name=name,
                    phone_enc=box.encrypt(phone),
                    product=product,
                    product_name=product_name,
                )
            )
    await session.flush()
