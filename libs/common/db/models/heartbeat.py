"""The last heartbeat of every service instance, kept by the stats service for the admin overview.

One row per (service, instance), overwritten by each beat: the table answers "who is alive"
without reading the bus, and its size is the number of instances ever seen (old ones are pruned).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base


class ServiceHeartbeat(Base):
    """The latest heartbeat of one service instance."""

    __tablename__ = "service_heartbeats"

    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column()
    uptime_s: Mapped[float] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
