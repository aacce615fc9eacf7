"""Resolving recipients once, at acceptance: ``customer_no`` → openid and phone, and the phone of
an openid that may fall back to SMS — one query per account and batch, only when needed.

What is found is stored on the row; the dispatcher delivers to what the row says.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.secret_box import SecretBox
from services.gateway import repository
from services.gateway.notifications.validation import (
    Candidate,
    Rejection,
    check_channels,
    loc_error,
)
from services.gateway.repository import CustomerContact


async def resolve_recipients(
    session: AsyncSession, candidates: list[Candidate], box: SecretBox
) -> tuple[list[Candidate], list[tuple[Candidate, Rejection]]]:
    """Fill openid/phone from the customer table and apply the channel rules.

    Returns the items ready to store and the refused ones with their rejection.
    """
    found = await _contacts(session, candidates, box)
    ready: list[Candidate] = []
    refused: list[tuple[Candidate, Rejection]] = []
    for item in candidates:
        contact: CustomerContact | None = None
        if item.customer_no:
            contact = found.get((item.account.id, "no", item.customer_no))
        if contact is None and item.openid:
            contact = found.get((item.account.id, "openid", item.openid))
        if contact is not None:
            item.openid = item.openid or contact.openid
            item.phone = item.phone or contact.phone
        try:
            if item.customer_no and contact is None and not (item.openid or item.phone):
                raise Rejection(
                    "unknown_customer",
                    f"No customer {item.customer_no!r} on account {item.account.code!r}.",
                    errors=[loc_error(["to", "customer_no"], "unknown customer number")],
                )
            check_channels(item)
        except Rejection as exc:
            refused.append((item, exc))
        else:
            ready.append(item)
    return ready, refused


async def _contacts(
    session: AsyncSession, candidates: list[Candidate], box: SecretBox
) -> dict[tuple[int, str, str], CustomerContact]:
    """The contacts the candidates need, keyed by (account, "no" | "openid", value)."""
    wanted: dict[int, tuple[set[str], set[str]]] = {}
    for item in candidates:
        nos, openids = wanted.setdefault(item.account.id, (set(), set()))
        if item.customer_no and not (item.openid and item.phone):
            nos.add(item.customer_no)
        elif item.openid and not item.phone and item.fallback == "sms":
            openids.add(item.openid)
    found: dict[tuple[int, str, str], CustomerContact] = {}
    for account_id, (nos, openids) in wanted.items():
        if not (nos or openids):
            continue
        contacts = await repository.list_customers(
            session, box=box, account_id=account_id, customer_nos=nos, openids=openids
        )
        for contact in contacts:
            if contact.customer_no:
                found.setdefault((account_id, "no", contact.customer_no), contact)
            found[account_id, "openid", contact.openid] = contact
    return found
