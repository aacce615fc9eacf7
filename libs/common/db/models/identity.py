"""Customer identity on second-level pages: used page links, failed binding attempts and phone
verification codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, utcnow


class H5LinkUse(Base):
    """A signed page link that was used; the primary key makes "single use" hold across replicas."""

    __tablename__ = "h5_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64))
    page: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    # After this the link is refused by its signature anyway; the row may then be purged.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class BindingFailure(Base):
    """One failed identity check of an openid; enough of them in a window lock binding."""

    __tablename__ = "binding_failures"
    __table_args__ = (Index("ix_binding_failures_who", "account_id", "openid", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneCode(Base):
    """The verification code sent to a number a follower is binding (one pending per follower).

    Only a keyed hash of the code is kept; the number being verified is encrypted.
    """

    __tablename__ = "phone_codes"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone_enc: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    tries: Mapped[int] = mapped_column(default=0)


class OperationCount(Base):
    """How often one follower ran one operation on one (Beijing) day (R-EN-10)."""

    __tablename__ = "operation_counts"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
    count: Mapped[int] = mapped_column(default=0)
