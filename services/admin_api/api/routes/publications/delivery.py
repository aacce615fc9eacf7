"""What was sent: each recipient with its queue state and delivery outcome, and the summary."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from services.admin_api.api.deps import Perm, SessionDep
from services.admin_api.api.routes.publications.access import (
    ScopedPublication,
    publications_router,
)
from services.admin_api.api.schemas.publications import OutcomeRead, ReachRead, RecipientRead
from services.admin_api.listing import ListQuery, Page
from services.admin_api.publishing import repository

router = publications_router()


@router.get(
    "/{publication_id}/recipients",
    response_model=Page[RecipientRead],
    dependencies=[Perm("content.read")],
    summary="发送明细 · what was sent",
)
async def list_recipients(
    publication: ScopedPublication,
    session: SessionDep,
    params: ListQuery,
    status: Annotated[
        Literal["pending", "queued"] | None,
        Query(description="排队状态 · pending (not yet queued) or queued"),
    ] = None,
) -> Page[RecipientRead]:
    """Each recipient: ``status`` says whether it was queued on the bus, ``delivery_status`` the
    outcome the dispatcher recorded in its notification row (keyed by ``message_id``)."""
    rows, total = await repository.list_recipients(
        session, publication_id=publication.id, params=params, status=status
    )
    recipients = [
        RecipientRead(
            openid=r.openid,
            message_id=r.message_id,
            status=r.status,
            sent_at=r.sent_at,
            delivery_status=outcome.status if outcome else None,
            reason=outcome.reason if outcome else None,
        )
        for r, outcome in rows
    ]
    return Page[RecipientRead].of(recipients, total, params)


@router.get(
    "/{publication_id}/outcome",
    response_model=OutcomeRead,
    dependencies=[Perm("content.read")],
    summary="发送结果汇总 · delivery outcome summary",
)
async def get_outcome(publication: ScopedPublication, session: SessionDep) -> OutcomeRead:
    """Recipients counted by queue state and by the dispatcher's delivery status."""
    queued: dict[str, int] = {}
    delivery: dict[str, int] = {}
    for queue_state, delivery_state, count in await repository.count_outcomes(
        session, publication_id=publication.id
    ):
        queued[queue_state] = queued.get(queue_state, 0) + count
        key = delivery_state or "unknown"
        delivery[key] = delivery.get(key, 0) + count
    jobs, reported, total, filtered, sent, errors = await repository.sum_mass_reach(
        session, publication_id=publication.id
    )
    reach = (
        ReachRead(
            jobs=jobs, reported=reported, total=total, filtered=filtered, sent=sent, errors=errors
        )
        if jobs
        else None
    )
    return OutcomeRead(
        publication_id=publication.id,
        status=publication.status,
        recipients=sum(queued.values()),
        queued=queued,
        delivery=delivery,
        reach=reach,
    )
