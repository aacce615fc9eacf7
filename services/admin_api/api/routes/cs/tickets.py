"""Tickets: messages followers left outside service hours, and marking them handled."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from libs.common.db.models import utcnow
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep
from services.admin_api.api.models import IdPath
from services.admin_api.api.routes.cs.access import AGENT, cs_router
from services.admin_api.errors import NotFound
from services.admin_api.repositories import cs as repo

router = cs_router()


class TicketRead(BaseModel):
    """A message left outside service hours."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    openid: str
    content: str
    state: str
    created_at: datetime
    done_at: datetime | None


@router.get(
    "/tickets",
    response_model=list[TicketRead],
    dependencies=[Perm(AGENT)],
    summary="留言 · tickets",
)
async def list_tickets(
    principal: CurrentUser,
    session: SessionDep,
    state: Annotated[Literal["open", "done"] | None, Query(description="状态 · state")] = "open",
) -> list[TicketRead]:
    """Messages left outside service hours on the caller's accounts."""
    found = await repo.list_tickets(session, principal=principal, state=state)
    return [TicketRead.model_validate(t) for t in found]


@router.post(
    "/tickets/{ticket_id}/done",
    response_model=TicketRead,
    dependencies=[Perm(AGENT)],
    summary="留言已处理 · mark a ticket done",
)
async def ticket_done(ticket_id: IdPath, principal: CurrentUser, session: SessionDep) -> TicketRead:
    """Mark a ticket handled."""
    ticket = await repo.get_ticket(session, ticket_id=ticket_id)
    if ticket is None or not await principal.sees_account(session, ticket.account_id):
        raise NotFound(f"ticket {ticket_id} not found")
    if ticket.state != "done":
        ticket.state = "done"
        ticket.done_at = utcnow()
        ticket.done_by = principal.user_id
    return TicketRead.model_validate(ticket)
