"""Who may take a review step, and from which states (the workflow asks before each step)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Publication
from services.admin_api.errors import InvalidState, PermissionDenied
from services.admin_api.publishing import repository
from services.admin_api.publishing.status import Status
from services.admin_api.scope import Principal

TRANSITIONS: dict[str, frozenset[Status]] = {
    "submit": frozenset({Status.DRAFT, Status.REJECTED}),
    "approve": frozenset({Status.SUBMITTED}),
    "reject": frozenset({Status.SUBMITTED}),
    "cancel": frozenset({Status.SCHEDULED, Status.APPROVED}),
    "edit": frozenset({Status.DRAFT, Status.REJECTED}),
    "delete": frozenset({Status.DRAFT, Status.REJECTED, Status.CANCELLED}),
}


def require_state(publication: Publication, action: str) -> None:
    """Raise :class:`InvalidState` unless ``action`` is allowed in the current state."""
    if publication.status not in TRANSITIONS[action]:
        allowed = ", ".join(sorted(TRANSITIONS[action]))
        raise InvalidState(
            f"cannot {action} a {publication.status} publication (allowed from: {allowed})",
            status=publication.status,
        )


def require_author(principal: Principal, publication: Publication) -> None:
    """Only the author (or the head office) changes a publication before review."""
    if publication.author_id != principal.user_id and not principal.is_head_office:
        raise PermissionDenied("only the author (or the head office) edits this publication")


async def require_reviewer(
    session: AsyncSession, principal: Principal, publication: Publication
) -> None:
    """Four eyes: the reviewer is not the author, and branch content needs the head office."""
    if publication.author_id == principal.user_id:
        raise PermissionDenied("the approver cannot be the author")
    author_org = await repository.get_author_org(session, publication=publication)
    branch_content = author_org is None or author_org.parent_id is not None
    if branch_content and not principal.is_head_office:
        raise PermissionDenied("branch content needs head-office approval")
