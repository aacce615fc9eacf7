"""WeChat followers of an account and what we know about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow


class Customer(Timestamped, Base):
    """One follower (openid) of one account; bound customers also carry a customer number."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("account_id", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    openid: Mapped[str] = mapped_column(String(64))
    subscribed: Mapped[bool] = mapped_column(default=True)
    subscribed_at: Mapped[datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)
    subscribe_scene: Mapped[str] = mapped_column(String(128), default="")
    # "unbound" | "bound" | "suspended" (bindings are suspended on unsubscribe, R-EN-7).
    binding_state: Mapped[str] = mapped_column(String(16), default="unbound")
    # The customer number (客户号) of a bound customer: encrypted with the secret box, and its
    # keyed lookup token for searches by number (libs.common.customer_numbers).
    customer_no_enc: Mapped[str | None] = mapped_column(Text, default=None)
    customer_no_token: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # Plain numbers of rows written before phones were bound on the page; read both through
    # libs.common.phones.contact_phone.
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    # The number verified on the phone page (绑定手机), encrypted with the secret box.
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    last_interaction_at: Mapped[datetime | None] = mapped_column(default=None)
    # The follower sync job that last found this openid among the account's followers; a run
    # that completes marks subscribed rows it did not find as unsubscribed (no longer following).
    seen_by_sync_job: Mapped[int | None] = mapped_column(default=None)


class ReminderOptOut(Base):
    """A reminder type a customer chose not to receive (服务订阅, R-EN-6).

    Opt-outs rather than opt-ins: a reminder type added later reaches everyone until they say
    otherwise, as the business systems expect.
    """

    __tablename__ = "reminder_opt_outs"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    reminder_type_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_types.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
