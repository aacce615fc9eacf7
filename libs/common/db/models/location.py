"""Service centres, branches, self-service terminals and events with coordinates (地理位置管理)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped


class Location(Timestamped, Base):
    """A place a customer can go to; ``kind`` is "branch", "atm" or "promotion"."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    phone: Mapped[str] = mapped_column(String(32), default="")
    opening_hours: Mapped[str] = mapped_column(String(128), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    url: Mapped[str] = mapped_column(String(1024), default="")
    pic_url: Mapped[str] = mapped_column(String(1024), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
