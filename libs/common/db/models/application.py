"""Applications of prospects (R-EN-8): what a follower applied for on ``/h5/apply``."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped


class Application(Timestamped, Base):
    """One application; its status moves as ``libs/common/applications.py`` allows.

    The phone number was verified by SMS code and is stored encrypted (the secret box).
    """

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_who", "account_id", "openid", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(32))
    phone_enc: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(String(32))
    # The product's name when applied for (the configured list may change later).
    product_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    # What the applicant is told with the status ("进度"); set by staff.
    status_note: Mapped[str] = mapped_column(String(200), default="")
