"""Login sessions: one row per login, holding the refresh token's hash; revoking the row ends
both its access and refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import AuthSession, utcnow


async def create(
    session: AsyncSession,
    *,
    session_id: str,
    user_id: int,
    refresh_hash: str,
    expires_at: datetime,
    ip: str,
) -> AuthSession:
    """Record a new login session."""
    row = AuthSession(
        id=session_id, user_id=user_id, refresh_hash=refresh_hash, expires_at=expires_at, ip=ip
    )
    session.add(row)
    await session.flush()
    return row


async def revoke(session: AsyncSession, *, session_id: str) -> None:
    """End one login session now."""
    await session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(revoked_at=utcnow())
    )


async def revoke_all_of_user(
    session: AsyncSession, *, user_id: int, except_session_id: str | None = None
) -> None:
    """End every open login session of the user (but ``except_session_id``, when given)."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if except_session_id is not None:
        stmt = stmt.where(AuthSession.id != except_session_id)
    await session.execute(stmt.values(revoked_at=utcnow()))
