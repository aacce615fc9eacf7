"""The message a notification becomes: its reminder type's texts filled from the request data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.customer_numbers import opened, tokens_of
from libs.common.phones import contact_phone
from libs.common.secret_box import SecretBox
from libs.common.short_links import URL_PATTERN, LinkTracker
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
    tracker: LinkTracker | None = None,
) -> Outgoing:
    """The texts of every channel, for the recipient stored on the row.

    The gateway resolved the recipient when it accepted the notification; only a row that names
    neither an openid nor a phone (written by another producer with a customer number alone)
    is looked up here. The stored phone is decrypted only when the reminder type has an SMS
    text (without one no SMS can go out), the customer number only for that lookup. For an
    account that tracks clicks, the template's url and the links of the customer-service text
    become short links (SMS texts keep theirs: no click to track).
    """
    openid = claimed.openid
    phone = box.decrypt(claimed.phone_enc) if claimed.phone_enc and config.sms_text else None
    customer_no = (
        opened(box, claimed.customer_no_enc) if not openid and not claimed.phone_enc else None
    )
    if customer_no:
        async with sessions() as session:
            customer = await repository.get_customer(
                session,
                account_id=claimed.account_id,
                openid=None,
                customer_no_tokens=tokens_of(box, [customer_no]),
            )
        if customer is not None:
            openid = customer.openid if customer.subscribed else None
            phone = contact_phone(box, customer.phone_enc, customer.phone)
    data = claimed.data
    text = render(config.cs_text, data)
    template_url = render(config.template_url, data)
    if tracker is not None and account.track_clicks and (template_url or URL_PATTERN.search(text)):
        message = {
            "account_id": account.id,
            "notification_id": claimed.id,
            "openid": openid,
            "event_type": claimed.event_type,
        }
        async with sessions.begin() as session:
            template_url = await tracker.shorten(
                session, template_url, channel="wechat_template", **message
            )
            text = await tracker.rewrite_text(session, text, channel="wechat_custom", **message)
    return Outgoing(
        message_id=claimed.id,
        account=account.code,
        openid=openid,
        phone=phone,
        text=text,
        sms_text=render(config.sms_text, data),
        template_id=config.template_id,
        template_data={
            k: {"value": render(str(v), data)} for k, v in config.template_fields.items()
        },
        template_url=template_url,
    )
