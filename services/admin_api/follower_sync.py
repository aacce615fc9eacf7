"""Follower sync: import an account's existing followers from WeChat as customer rows.

An admin starts a job (:func:`start`); it runs as a task of the admin API process, paging
through ``user/get`` (``next_openid``) and reading profiles through ``user/info/batchget`` in
chunks, committing each chunk's customers together with the job's counts, so ``GET`` shows
progress and a second run finds the rows of the first. The job ends ``succeeded`` or ``failed``
(with the error). A process that dies mid-job leaves it ``running``; :func:`fail_interrupted` at
startup marks such jobs failed so none stays stuck and a new one can start.

Once the whole list is read, the job's last phase (``marking_missing``) marks the customers
still subscribed here but absent from WeChat's list as unsubscribed (their binding suspended,
as an unsubscribe event would), counted in ``missing``. A job that failed before the end marks
nobody: an incomplete list proves nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from libs.common.db.models import Account, FollowerSyncJob, utcnow
from libs.common.wechat.api.user import MAX_BATCHGET, UserApi
from libs.common.wechat.errors import WeChatError
from services.admin_api.repositories import follower_sync
from services.admin_api.state import AdminState
from services.admin_api.wechat_access import client_for

log = logging.getLogger(__name__)

INTERRUPTED = "admin API restarted while the job was running"


async def start(state: AdminState, job_id: int) -> None:
    """Run job ``job_id`` (already committed as ``running``) in the background; returns at once
    (async so that a request's background tasks call it on the event loop)."""
    task = asyncio.create_task(run(state, job_id), name=f"follower sync {job_id}")
    state.background.add(task)
    task.add_done_callback(state.background.discard)


async def run(state: AdminState, job_id: int) -> None:
    """Page through the followers and upsert them; the job row records the outcome."""
    try:
        await _import(state, job_id)
    except (WeChatError, ValueError) as exc:
        await _finish(state, job_id, "failed", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        log.exception("follower sync %s failed", job_id)
        await _finish(state, job_id, "failed", f"{type(exc).__name__}: {exc}")
    else:
        await _finish(state, job_id, "succeeded", "")


async def _import(state: AdminState, job_id: int) -> None:
    async with state.sessions() as session:
        job = await session.get(FollowerSyncJob, job_id)
        account = await session.get(Account, job.account_id) if job else None
        if job is None or account is None:
            return
        account_id, started_at = account.id, job.started_at
        users = UserApi(client_for(state, account))
    chunk = max(1, min(state.settings.follower_sync_batch_size, MAX_BATCHGET))
    cursor = ""
    while True:
        page = await users.list_followers(cursor)
        for i in range(0, len(page.openids), chunk):
            openids = page.openids[i : i + chunk]
            profiles = await users.batch_info(openids)
            async with state.sessions.begin() as session:
                created, updated = await follower_sync.upsert_followers(
                    session, account_id=account_id, job_id=job_id, profiles=profiles
                )
                job = await session.get(FollowerSyncJob, job_id)
                if job is None:
                    return
                job.total = page.total
                job.fetched += len(openids)
                job.created += created
                job.updated += updated
        if not page.next_openid:
            break
        cursor = page.next_openid
    await _mark_missing(state, job_id, account_id, started_at)


async def _mark_missing(
    state: AdminState, job_id: int, account_id: int, started_at: datetime
) -> None:
    """The whole list was read: customers it lacks no longer follow (one statement)."""
    async with state.sessions.begin() as session:
        job = await session.get(FollowerSyncJob, job_id)
        if job is None:
            return
        job.phase = "marking_missing"
    async with state.sessions.begin() as session:
        missing = await follower_sync.mark_missing(
            session, account_id=account_id, job_id=job_id, started_at=started_at
        )
        job = await session.get(FollowerSyncJob, job_id)
        if job is not None:
            job.missing = missing
            job.phase = "done"


async def _finish(state: AdminState, job_id: int, status: str, error: str) -> None:
    async with state.sessions.begin() as session:
        job = await session.get(FollowerSyncJob, job_id)
        if job is not None and job.status == "running":
            job.status, job.error, job.finished_at = status, error[:2000], utcnow()


async def fail_interrupted(state: AdminState) -> int:
    """Mark jobs left ``running`` by a previous process failed; returns how many."""
    async with state.sessions.begin() as session:
        count = await follower_sync.fail_running(session, reason=INTERRUPTED)
    if count:
        log.warning("marked %d interrupted follower sync job(s) failed", count)
    return count
