"""The audit log (R-AD-11): every write and every publication, with before/after snapshots."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AuditEntry
from services.admin_api.scope import Principal

# Columns that must never be copied into the log (secrets, hashes).
_HIDDEN_SUFFIXES = ("_enc", "password_hash", "refresh_hash")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def snapshot(obj: object | None) -> dict[str, Any] | None:
    """The column values of an ORM object, JSON-ready, with secrets replaced by set/not set."""
    if obj is None:
        return None
    result: dict[str, Any] = {}
    for attr in sa_inspect(obj).mapper.column_attrs:
        value = getattr(obj, attr.key)
        if attr.key.endswith(_HIDDEN_SUFFIXES):
            result[attr.key] = "set" if value else "not set"
        else:
            result[attr.key] = _jsonable(value)
    return result


async def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str = "",
    username: str = "",
) -> AuditEntry:
    """Add one audit entry in the request's transaction (it commits or rolls back with it)."""
    entry = AuditEntry(
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else username,
        org_id=principal.org_id if principal else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        ip=principal.ip if principal else ip,
    )
    session.add(entry)
    await session.flush()
    return entry
