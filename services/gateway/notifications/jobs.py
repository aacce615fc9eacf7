"""CSV upload jobs (文件发送): a file of recipients becomes tracked notifications.

The upload is parsed and checked up front (encoding, header, size), stored as a
``NotificationJob`` and answered at once; the rows then go through the same acceptance path as
the batch endpoint, ``chunk_rows`` at a time, and the job row records progress and per-row
errors after every chunk. Each row's idempotency key is ``job:<job id>:<row>``, so a chunk
retried after a failed publish is never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import NotificationJob, utcnow
from libs.common.observability.logging import get_logger
from services.gateway import repository
from services.gateway.notifications.acceptance import NotificationService
from services.gateway.notifications.config import ConfigCache, SystemConfig
from services.gateway.notifications.persistence import new_notification_id
from services.gateway.notifications.schemas import DEFAULT_DEADLINE_S
from services.gateway.notifications.validation import Rejection

log = get_logger(__name__)

RECIPIENT_COLUMNS = ("openid", "customer_no", "phone")
_PUBLISH_RETRIES = 2
_PUBLISH_RETRY_DELAY_S = 1.0


@dataclass(frozen=True, slots=True)
class JobOptions:
    """What applies to every row of one upload."""

    account: str
    event_type: str
    priority: str | None = None
    fallback: str | None = None
    deadline_s: int = DEFAULT_DEADLINE_S


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A parsed upload: the header and the data rows with their 1-based row numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def parse_csv(content: bytes, *, max_rows: int) -> CsvTable:
    """Decode (UTF-8, with or without BOM, else GB18030 as Excel writes it) and split a CSV."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise Rejection("bad_encoding", "The file is neither UTF-8 nor GB18030 text.") from None
    try:
        records = [
            r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise Rejection("malformed_csv", f"The file is not valid CSV: {exc}.") from None
    if not records:
        raise Rejection("empty_file", "The file has no header row.")
    header = [name.strip() for name in records[0]]
    lowered = [name.lower() for name in header]
    if not set(RECIPIENT_COLUMNS) & set(lowered):
        raise Rejection(
            "missing_recipient_columns",
            "The header needs at least one of the columns openid, customer_no, phone.",
        )
    duplicates = sorted({name for name in lowered if name and lowered.count(name) > 1})
    if duplicates:
        raise Rejection("duplicate_columns", f"Columns appear twice: {', '.join(duplicates)}.")
    rows = list(enumerate(records[1:], start=1))
    if not rows:
        raise Rejection("empty_file", "The file has a header but no rows.")
    if len(rows) > max_rows:
        raise Rejection("too_many_rows", f"The file has {len(rows)} rows; at most {max_rows}.")
    return CsvTable(header, rows)


def row_item(header: list[str], row: list[str], options: JobOptions, key: str) -> dict[str, Any]:
    """One CSV row as a notification request; raises :class:`Rejection` on a ragged row."""
    if len(row) != len(header):
        raise Rejection(
            "wrong_column_count", f"The row has {len(row)} columns; the header has {len(header)}."
        )
    to: dict[str, str] = {}
    data: dict[str, str] = {}
    for name, raw in zip(header, row, strict=True):
        value = raw.strip()
        if name.lower() in RECIPIENT_COLUMNS:
            if value:
                to[name.lower()] = value
        elif name:
            data[name] = value
    item: dict[str, Any] = {
        "account": options.account,
        "event_type": options.event_type,
        "to": to,
        "data": data,
        "idempotency_key": key,
        "deadline_s": options.deadline_s,
    }
    if options.priority:
        item["priority"] = options.priority
    if options.fallback:
        item["fallback"] = options.fallback
    return item


class JobRunner:
    """Creates CSV jobs and works through them in the background, recording progress."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: ConfigCache,
        service: NotificationService,
        *,
        chunk_rows: int = 500,
        max_errors: int = 1000,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._service = service
        self._chunk_rows = chunk_rows
        self._max_errors = max_errors
        self._now = now
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(
        self, system: SystemConfig, options: JobOptions, table: CsvTable
    ) -> NotificationJob:
        """Store a job for ``table`` and start processing it; unknown account/type → 422."""
        snapshot = await self._config.get()
        account = snapshot.accounts.get(options.account)
        if account is None:
            raise Rejection("unknown_account", f"No enabled account {options.account!r}.")
        if (account.id, options.event_type) not in snapshot.reminders:
            raise Rejection(
                "unknown_event_type",
                f"No reminder type {options.event_type!r} on account {account.code!r}.",
            )
        now = self._now()
        job = NotificationJob(
            id=new_notification_id(),
            system_id=system.id,
            account_id=account.id,
            event_type=options.event_type,
            status="running",
            total_rows=len(table.rows),
            accepted_rows=0,
            failed_rows=0,
            errors=[],
            created_at=now,
            updated_at=now,
        )
        async with self._sessions.begin() as session:
            await repository.create_job(session, job=job)
        task = asyncio.create_task(self._run(job.id, system, options, table))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def get(self, system: SystemConfig, job_id: str) -> NotificationJob | None:
        """A job, if ``system`` uploaded it."""
        async with self._sessions() as session:
            return await repository.get_job_for_system(session, job_id=job_id, system_id=system.id)

    async def wait_idle(self) -> None:
        """Wait until every running job has finished (tests, graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Interrupt running jobs; their rows so far stay accepted, the job says ``interrupted``."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(
        self, job_id: str, system: SystemConfig, options: JobOptions, table: CsvTable
    ) -> None:
        progress = _Progress(self._max_errors)
        status = "failed"
        try:
            for start in range(0, len(table.rows), self._chunk_rows):
                chunk = table.rows[start : start + self._chunk_rows]
                await self._run_chunk(job_id, system, options, table.header, chunk, progress)
                await self._save(job_id, progress, "running")
            status = "done"
        except asyncio.CancelledError:
            status = "interrupted"
            raise
        except Exception:
            log.exception("notification_job_failed", job=job_id)
            progress.error(None, Rejection("internal_error", "The job stopped unexpectedly."))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._save(job_id, progress, status))

    async def _run_chunk(
        self,
        job_id: str,
        system: SystemConfig,
        options: JobOptions,
        header: list[str],
        chunk: list[tuple[int, list[str]]],
        progress: _Progress,
    ) -> None:
        pending: list[tuple[int, dict[str, Any]]] = []
        for row_no, row in chunk:
            try:
                pending.append((row_no, row_item(header, row, options, f"job:{job_id}:{row_no}")))
            except Rejection as exc:
                progress.error(row_no, exc)
        for attempt in range(_PUBLISH_RETRIES + 1):
            if not pending:
                return
            results = await self._service.accept_many(
                system, [item for _, item in pending], job_id=job_id, endpoint="csv"
            )
            retry: list[tuple[int, dict[str, Any]]] = []
            for (row_no, item), result in zip(pending, results, strict=True):
                if result.outcome in ("accepted", "duplicate"):
                    progress.accepted += 1
                elif result.outcome == "publish_failed" and attempt < _PUBLISH_RETRIES:
                    retry.append((row_no, item))
                elif result.error is not None:
                    progress.error(row_no, result.error, result.id)
            pending = retry
            if pending:
                await asyncio.sleep(_PUBLISH_RETRY_DELAY_S)

    async def _save(self, job_id: str, progress: _Progress, status: str) -> None:
        async with self._sessions.begin() as session:
            await repository.update_job(
                session,
                job_id=job_id,
                accepted_rows=progress.accepted,
                failed_rows=progress.failed,
                errors=list(progress.errors),
                status=status,
                now=self._now(),
            )


class _Progress:
    """Counts and the first ``max_errors`` row errors of a running job."""

    def __init__(self, max_errors: int) -> None:
        self.accepted = 0
        self.failed = 0
        self.errors: list[dict[str, Any]] = []
        self._max_errors = max_errors

    def error(
        self, row: int | None, rejection: Rejection, notification_id: str | None = None
    ) -> None:
        if row is not None:
            self.failed += 1
        if len(self.errors) < self._max_errors:
            entry: dict[str, Any] = {"row": row, **rejection.to_dict()}
            if notification_id:
                entry["id"] = notification_id
            self.errors.append(entry)
