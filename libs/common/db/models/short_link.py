"""Tracked short links (R-ST-3): a registered target behind each ``/r/<code>`` of the stats
service, and the message it was put into."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, utcnow


class ShortLink(Base):
    """One link in one outgoing message; only targets registered here are ever redirected to."""

    __tablename__ = "short_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    # Where the link was sent: a notification (one follower) or a publication (many).
    notification_id: Mapped[str | None] = mapped_column(String(32), default=None)
    publication_id: Mapped[int | None] = mapped_column(default=None)
    openid: Mapped[str | None] = mapped_column(String(64), default=None)
    # A notification's event type, and the channel whose message carries the link (the funnel
    # of R-ST-2 counts clicks by both).
    event_type: Mapped[str | None] = mapped_column(String(64), default=None)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    # sha256 of (account, message, openid, url): building a message twice reuses its links.
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
