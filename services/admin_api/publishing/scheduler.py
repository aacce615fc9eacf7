"""The scheduler loop: every ``scheduler_interval_s``, resume dead sends and start due ones."""

from __future__ import annotations

import asyncio
import contextlib
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


async def run_scheduler(state: AdminState, stop: asyncio.Event | None = None) -> None:
    """Every ``scheduler_interval_s``, send what is due (until ``stop`` is set or cancelled)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        await run_due(state)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=state.settings.scheduler_interval_s)
