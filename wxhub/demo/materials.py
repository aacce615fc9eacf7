"""Demo material library (R-EN-8, R-EN-12): the credit-card how-to news and the ``信用卡`` command
answering with it. Idempotent; runs after the demo organisations exist (the material belongs to
the demo account's organisation).

The articles link to the public second-level pages (``WXHUB_H5_BASE_URL``) through WeChat's web
authorisation, so a prospect reading them lands on the application or phone page as themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Account, Command, Material, MenuAction, Org
from libs.common.material_replies import MATERIAL_ANSWER
from wxhub.demo.account import DEMO

CREDIT_CARD_GUIDE = "信用卡办理指南"
CREDIT_CARD_COMMAND = "credit_card_guide"
CREDIT_CARD_WORDS = "信用卡|信用卡办理|办理信用卡|XYK"
# The menu CLICK key answering with it: an event's reply carries every article (a text message's
# only the first, WeChat's limit).
CREDIT_CARD_MENU_KEY = "CREDIT_CARD"


def credit_card_articles(h5_base_url: str) -> list[dict[str, Any]]:
    """The how-to's articles, linking to the pages under ``h5_base_url``."""
    pages = f"{h5_base_url.rstrip('/')}/h5/oauth/{DEMO.code}"
    return [
        {
            "title": CREDIT_CARD_GUIDE,
            "digest": "三步在线申请：填写姓名、验证手机号、选择卡种，提交后发送“进度”查询审批。",
            "content": (
                "<p>1. 点击本文进入申请页，填写姓名并选择卡种。</p>"
                "<p>2. 输入手机号，获取并填写短信验证码。</p>"
                "<p>3. 提交后在对话框发送“进度”，随时查看审批状态。</p>"
            ),
            "content_source_url": f"{pages}/apply",
        },
        {
            "title": "绑定手机，审批结果及时通知",
            "digest": "绑定手机号后，审批结果和账单提醒会以短信送达。",
            "content": "<p>在绑定手机页输入手机号和短信验证码即可完成绑定。</p>",
            "content_source_url": f"{pages}/phone",
        },
    ]


async def seed_materials_demo(session: AsyncSession, h5_base_url: str) -> None:
    """Add the credit-card how-to, its command and menu key to the demo account unless they are
    there."""
    account = await session.scalar(select(Account).where(Account.code == DEMO.code))
    if account is None:
        return
    org_id = account.org_id or await session.scalar(
        select(Org.id).where(Org.parent_id.is_(None)).order_by(Org.id).limit(1)
    )
    if org_id is None:
        return  # no organisation to own the material yet
    material = await session.scalar(
        select(Material).where(
            Material.org_id == org_id, Material.kind == "news", Material.title == CREDIT_CARD_GUIDE
        )
    )
    if material is None:
        material = Material(
            org_id=org_id,
            kind="news",
            title=CREDIT_CARD_GUIDE,
            articles=credit_card_articles(h5_base_url),
        )
        session.add(material)
        await session.flush()
    params: dict[str, Any] = {"reply_type": "news", "material_id": material.id}
    command = await session.scalar(
        select(Command).where(Command.account_id == account.id, Command.name == CREDIT_CARD_COMMAND)
    )
    if command is None:
        session.add(
            Command(
                account_id=account.id,
                name=CREDIT_CARD_COMMAND,
                match_kind="exact",
                pattern=CREDIT_CARD_WORDS,
                handler=MATERIAL_ANSWER,
                params=params,
                priority=40,
                description="信用卡办理指南（图文）",
                show_in_help=True,
            )
        )
    action = await session.scalar(
        select(MenuAction).where(
            MenuAction.account_id == account.id, MenuAction.key == CREDIT_CARD_MENU_KEY
        )
    )
    if action is None:
        session.add(
            MenuAction(
                account_id=account.id,
                key=CREDIT_CARD_MENU_KEY,
                handler=MATERIAL_ANSWER,
                params=params,
                description="菜单：信用卡办理指南",
            )
        )
    await session.flush()
