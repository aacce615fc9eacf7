"""The message a notification becomes: its reminder type's texts filled from the request data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.phones import contact_phone
from libs.common.secret_box import SecretBox
from services.dispatcher import repository
from services.dispatcher.accounts import AccountInfo, ReminderTexts
from services.dispatcher.channels.base import Outgoing
from services.dispatcher.repository import Claimed


class _Defaults(dict[str, Any]):
    """Format-string data where a missing field renders empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, data: dict[str, Any]) -> str:
    """Fill ``{field}`` placeholders from ``data``; a broken template is returned as is."""
    if not template:
        return ""
    try:
        return template.format_map(_Defaults(data))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


async def build_outgoing(
    sessions: async_sessionmaker[AsyncSession],
    claimed: Claimed,
    account: AccountInfo,
    config: ReminderTexts,
    box: SecretBox,
) -> Outgoing:
    """The texts of every channel, for the recipient stored on the row.

    The gateway resolved the recipient when it accepted the notification; only a row that names
    neither an openid nor a phone (written by another producer with a customer number alone)
    is looked up here.
    """
    openid, phone = claimed.openid, claimed.phone
    if not openid and not phone and claimed.customer_no:
        async with sessions() as session:
            customer = await repository.get_customer(
                session,
                account_id=claimed.account_id,
                openid=None,
                customer_no=claimed.customer_no,
            )
        if customer is not None:
            openid = customer.openid if customer.subscribed else None
            phone = contact_phone(box, customer.phone_enc, customer.phone)
    data = claimed.data
    return Outgoing(
        message_id=claimed.id,
        account=account.code,
        openid=openid,
        phone=phone,
        text=render(config.cs_text, data),
        sms_text=render(config.sms_text, data),
        template_id=config.template_id,
        template_data={
            k: {"value": render(str(v), data)} for k, v in config.template_fields.items()
        },
        template_url=render(config.template_url, data),
    )
