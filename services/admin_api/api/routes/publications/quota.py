"""The monthly mass-send quota of an account: how much is used, and by which sends."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from libs.common.db.models import utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.api.routes.publications.access import publications_router
from services.admin_api.api.schemas.publications import QuotaEntryRead, QuotaRead
from services.admin_api.publishing.quota import period_of, quota_ledger, quota_used
from services.admin_api.scope import account_in_scope

router = publications_router()


@router.get(
    "/quota",
    response_model=QuotaRead,
    dependencies=[Perm("content.read")],
    summary="群发额度 · mass-send quota",
)
async def get_quota(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    account_id: Annotated[int, Query(ge=1, le=MAX_ID, description="公众号 ID · account id")],
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份 YYYY-MM · month")
    ] = None,
) -> QuotaRead:
    """How much of the monthly mass-send quota is used, and by which sends."""
    await account_in_scope(session, principal, account_id)
    month = period or period_of(utcnow())
    ledger = await quota_ledger(session, account_id, month)
    return QuotaRead(
        account_id=account_id,
        period=month,
        used=await quota_used(session, account_id, month),
        limit=state.settings.mass_quota_per_month,
        entries=[
            QuotaEntryRead(
                publication_id=entry.publication_id,
                title=title,
                amount=entry.amount,
                claimed_at=entry.created_at,
            )
            for entry, title in ledger
        ],
    )
