"""A claimed notification's transitions: its channel, its deadline, its terminal finish.

Writes made during a run carry the claim generation (see ``claims.py``): one made after another
worker claimed the notification counts for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, Update, bindparam, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Notification
from libs.common.db.prepared import Prepared
from services.dispatcher.repository.events import PendingEvent, add_events_many

TERMINAL = frozenset({"delivered", "fallback_sent", "failed", "suppressed"})
# Core table for the batched hot-path statements (see ``claims.py``).
_NOTIFICATIONS = cast(Table, Notification.__table__)


def _finish(*, fenced: bool) -> Update:
    # Parameter names differ from the column names: an UPDATE reserves those for its SET.
    c = _NOTIFICATIONS.c
    claim = [c.attempts == bindparam("claim")] if fenced else []
    return (
        update(_NOTIFICATIONS)
        .where(c.id == bindparam("nid"), c.status == "sending", *claim)
        .values(
            status=bindparam("to_status"),
            channel=bindparam("to_channel"),
            reason=bindparam("to_reason"),
            wechat_msgid=bindparam("to_msgid"),
            finished_at=bindparam("at"),
            updated_at=bindparam("at"),
            claim_until=None,
        )
    )


# Built once (core table, bound parameters): a custom send's finish is on every message's path.
_FINISH = Prepared(lambda _dialect: _finish(fenced=False))
_FINISH_FENCED = Prepared(lambda _dialect: _finish(fenced=True))


async def set_deadline(
    session: AsyncSession, *, notification_id: str, deadline_at: datetime
) -> None:
    """Give a notification a new deadline (an operator's replay after the old one passed)."""
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(deadline_at=deadline_at)
    )


async def set_channel(session: AsyncSession, *, notification_id: str, channel: str) -> None:
    """Record the channel a ``sending`` notification is being sent on (crash recovery reads it)."""
    await session.execute(
        update(Notification).where(Notification.id == notification_id).values(channel=channel)
    )


async def finish(
    session: AsyncSession,
    *,
    notification_id: str,
    status: str,
    channel: str | None,
    reason: str | None,
    wechat_msgid: str | None,
    now: datetime,
    claim: int | None = None,
) -> bool:
    """Move a ``sending`` notification to a terminal status; False if it was not ``sending``
    (or, given ``claim``, another worker claimed it since)."""
    prepared = _FINISH if claim is None else _FINISH_FENCED
    result = await session.execute(
        prepared.for_session(session),
        {
            "nid": notification_id,
            "claim": claim,
            "to_status": status,
            "to_channel": channel,
            "to_reason": reason,
            "to_msgid": wechat_msgid,
            "at": now,
        },
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_channel_many(
    session: AsyncSession, *, claims: Sequence[tuple[str, int]], channel: str
) -> set[str]:
    """Record the channel of many ``sending`` notifications, each only while the claim
    generation given with it is current; returns the ids recorded."""
    c = _NOTIFICATIONS.c
    result = await session.execute(
        update(_NOTIFICATIONS)
        .where(tuple_(c.id, c.attempts).in_(list(claims)), c.status == "sending")
        .values(channel=channel)
        .returning(c.id)
    )
    return {row.id for row in result}


@dataclass(frozen=True, slots=True)
class Finish:
    """The terminal transition of one notification, with the history to store with it."""

    notification_id: str
    status: str
    channel: str | None
    reason: str | None
    wechat_msgid: str | None
    events: tuple[PendingEvent, ...]
    # The claim generation that finishes it (the fencing token of :class:`Claimed`).
    claim: int | None = None


# PostgreSQL: one UPDATE for the whole batch, the per-row values passed as arrays, so the
# statement text (and its prepared statement) is the same whatever the batch size.
_FINISH_MANY_PG = text(
    """
    UPDATE notifications AS n
    SET status = v.status, channel = v.channel, reason = v.reason,
        wechat_msgid = v.wechat_msgid, finished_at = :now, updated_at = :now, claim_until = NULL
    FROM unnest(
        CAST(:ids AS varchar[]), CAST(:statuses AS varchar[]), CAST(:channels AS varchar[]),
        CAST(:reasons AS text[]), CAST(:msgids AS varchar[]), CAST(:claims AS integer[])
    ) AS v(id, status, channel, reason, wechat_msgid, claim)
    WHERE n.id = v.id AND n.status = 'sending' AND (v.claim IS NULL OR n.attempts = v.claim)
    RETURNING n.id
    """
)


async def finish_many(
    session: AsyncSession, *, finishes: Sequence[Finish], now: datetime
) -> set[str]:
    """Move many ``sending`` notifications to their terminal status and store their history;
    returns the ids actually finished (one not ``sending`` any more keeps its outcome)."""
    if not finishes:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _FINISH_MANY_PG,
            {
                "now": now,
                "ids": [f.notification_id for f in finishes],
                "statuses": [f.status for f in finishes],
                "channels": [f.channel for f in finishes],
                "reasons": [f.reason for f in finishes],
                "msgids": [f.wechat_msgid for f in finishes],
                "claims": [f.claim for f in finishes],
            },
        )
        done = {row[0] for row in result}
    else:
        done = set()
        for f in finishes:
            if await finish(
                session,
                notification_id=f.notification_id,
                status=f.status,
                channel=f.channel,
                reason=f.reason,
                wechat_msgid=f.wechat_msgid,
                now=now,
                claim=f.claim,
            ):
                done.add(f.notification_id)
    await add_events_many(
        session,
        events=(
            (f.notification_id, event)
            for f in finishes
            if f.notification_id in done
            for event in f.events
        ),
    )
    return done
