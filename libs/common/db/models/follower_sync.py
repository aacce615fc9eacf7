"""Follower sync jobs: an account's existing followers imported from WeChat as customer rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, utcnow


class FollowerSyncJob(Base):
    """One run of the follower import; the admin API owns its status.

    Status moves ``running`` → ``succeeded`` | ``failed``; a job still ``running`` when the
    admin API starts lost its process and is marked ``failed`` with the reason. ``phase`` says
    what a running job does: ``importing`` the list, then ``marking_missing``.
    """

    __tablename__ = "follower_sync_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="running")
    phase: Mapped[str] = mapped_column(String(16), default="importing")
    started_by: Mapped[str] = mapped_column(String(64), default="")
    # Followers WeChat reported, openids read so far, customer rows created and updated, and
    # customers subscribed here but absent from WeChat's list, marked unsubscribed at the end.
    total: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    missing: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
