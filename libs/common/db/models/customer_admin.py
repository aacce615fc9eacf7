"""What the admin side keeps about customers (R-AD-10): segmentation profiles, saved audiences
and hand-overs to head office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow


class CustomerProfile(Timestamped, Base):
    """What the admin side knows about a customer beyond :class:`Customer`: segmentation data."""

    __tablename__ = "customer_profiles"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), default="", index=True)
    region: Mapped[str] = mapped_column(String(64), default="", index=True)
    occupation: Mapped[str] = mapped_column(String(64), default="", index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    subscriptions: Mapped[list[Any]] = mapped_column(default=list)


class SavedAudience(Timestamped, Base):
    """A named customer filter of one account (保存的受众), resolved to openids at send time."""

    __tablename__ = "saved_audiences"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    # {"category", "region", "occupation", "tags": [...], "subscriptions": [...],
    #  "binding_state", "subscribed"}; absent keys mean "any".
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(default=None)


class Handover(Base):
    """A one-click hand-over (R-AD-10): a branch account's customer told to follow head office."""

    __tablename__ = "customer_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    # The OutboundRequested message id: the dispatcher's notification row carries the outcome.
    message_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(default=None)
    org_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
