"""The scheduler's tick (run every ``scheduler_interval_s`` by the app): resume dead sends, start
due ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from libs.common.db.models import utcnow
from libs.common.observability.logging import get_logger
from services.admin_api.publishing import repository
from services.admin_api.publishing.sending import dispatch, resume
from services.admin_api.state import AdminState

log = get_logger(__name__)


async def due_ids(state: AdminState) -> Sequence[int]:
    """Scheduled publications whose time has come."""
    async with state.sessions() as session:
        return await repository.list_due_ids(session, now=utcnow())


async def stale_ids(state: AdminState) -> Sequence[int]:
    """Publications left in ``sending`` longer than ``sending_stale_s`` (their sender died)."""
    cutoff = utcnow() - timedelta(seconds=state.settings.sending_stale_s)
    async with state.sessions() as session:
        return await repository.list_stale_ids(session, stale_before=cutoff)


async def run_due(state: AdminState) -> int:
    """Resume stuck sends, then dispatch every due publication once; returns messages queued."""
    total = 0
    for publication_id in await stale_ids(state):
        try:
            total += await resume(state, publication_id)
        except Exception:
            log.exception("publication_resume_failed", publication_id=publication_id)
    for publication_id in await due_ids(state):
        try:
            total += await dispatch(state, publication_id)
        except Exception:
            log.exception("publication_dispatch_failed", publication_id=publication_id)
    return total
