"""Storing accepted notifications: every row and its ``accepted`` history event in one commit.

The insert is optimistic: an idempotency key already stored makes it fail on the unique
constraint, which is also what settles two concurrent requests racing with the same key; the
stored rows are then read and the rest is inserted again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.secret_box import SecretBox
from services.gateway import repository
from services.gateway.notifications.config import SystemConfig
from services.gateway.notifications.validation import Candidate
from services.gateway.repository import ExistingNotification

_INSERT_ATTEMPTS = 3


def new_notification_id() -> str:
    """32 hex characters: milliseconds since the epoch, then randomness (index-friendly order)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a batch did: the rows inserted now, the rows found under their keys."""

    inserted: list[Candidate]
    existing: dict[str, ExistingNotification]


async def store(
    session: AsyncSession,
    system: SystemConfig,
    ready: list[Candidate],
    now: datetime,
    job_id: str | None,
    box: SecretBox,
) -> Stored:
    """Store the items not stored yet (the first of each idempotency key) and commit."""
    firsts: dict[str, Candidate] = {}
    fresh: list[Candidate] = []
    for item in ready:
        if item.key is None:
            fresh.append(item)
        elif item.key not in firsts:
            firsts[item.key] = item
            fresh.append(item)
    existing: dict[str, ExistingNotification] = {}
    for _ in range(_INSERT_ATTEMPTS):
        pending = [item for item in fresh if item.key is None or item.key not in existing]
        for item in pending:
            item.id = item.id or new_notification_id()
        try:
            await repository.create_many(
                session,
                notifications=[_row(item, system, now, job_id, box) for item in pending],
                events=[_event(item, system, now) for item in pending],
            )
            await session.commit()
        except IntegrityError:
            await session.rollback()
            keys = [item.key for item in pending if item.key]
            found = await repository.list_by_idempotency_keys(
                session, system_id=system.id, keys=keys
            )
            await session.rollback()
            if not found:
                raise
            existing.update({row.idempotency_key: row for row in found})
        else:
            return Stored(pending, existing)
    raise RuntimeError("idempotency keys kept conflicting; giving up")


def _row(
    item: Candidate, system: SystemConfig, now: datetime, job_id: str | None, box: SecretBox
) -> dict[str, Any]:
    return {
        "id": item.id,
        "account_id": item.account.id,
        "system_id": system.id,
        "event_type": item.reminder.event_type,
        "priority": item.priority,
        "openid": item.openid,
        # One encryption per number given; the clear values stay in memory only.
        "customer_no_enc": box.encrypt(item.customer_no) if item.customer_no else None,
        "phone_enc": box.encrypt(item.phone) if item.phone else None,
        "data": item.request.data,
        "idempotency_key": item.key,
        "fallback": item.fallback,
        "deadline_at": item.deadline_at,
        "status": "accepted",
        "channel": None,
        "reason": None,
        "attempts": 0,
        "wechat_msgid": None,
        "job_id": job_id,
        "finished_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _event(item: Candidate, system: SystemConfig, now: datetime) -> dict[str, Any]:
    detail = f"accepted from {system.code}: priority {item.priority}, fallback {item.fallback}"
    if item.notes:
        detail += "; " + "; ".join(item.notes)
    return {
        "notification_id": item.id,
        "at": now,
        "status": "accepted",
        "channel": None,
        "detail": detail,
        "errcode": None,
    }
