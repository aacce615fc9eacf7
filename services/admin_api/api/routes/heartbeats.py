"""``/api/v1/heartbeats``: which service instances are alive, for the overview (R-AD-12).

Every instance publishes a heartbeat every ``WXHUB_HEARTBEAT_INTERVAL_S``; the stats service keeps
each instance's latest. An instance is *alive* while its last beat is younger than three
intervals, *silent* after that; instances silent for a day drop out of the list (the stats
service forgets them after ``WXHUB_STATS_HEARTBEAT_RETENTION_DAYS``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.admin_api.api.deps import AUTHENTICATED, Perm, SessionDep, StateDep
from services.admin_api.repositories import heartbeats

router = APIRouter(prefix="/api/v1/heartbeats", tags=["heartbeats 心跳"])

MISSED_BEATS = 3
LISTED_FOR = timedelta(days=1)


class HeartbeatRead(BaseModel):
    """One service instance and its last heartbeat."""

    service: str = Field(description="服务 · service", examples=["gateway"])
    instance_id: str = Field(description="实例 · instance", examples=["gateway-1"])
    last_seen_at: datetime = Field(description="最近心跳 · last heartbeat")
    uptime_s: float = Field(description="运行时长（秒） · uptime in seconds")
    alive: bool = Field(description="存活（最近三个周期内有心跳） · beat within 3 intervals")
    details: dict[str, Any] = Field(description="附加信息 · details the instance reported")


class HeartbeatList(BaseModel):
    """Every instance heard from in the last day, and the interval they beat at."""

    interval_s: float = Field(description="心跳周期（秒） · heartbeat interval")
    instances: list[HeartbeatRead]


@router.get(
    "",
    response_model=HeartbeatList,
    dependencies=[Perm(AUTHENTICATED)],
    summary="服务心跳 · service heartbeats",
)
async def list_heartbeats(session: SessionDep, state: StateDep) -> HeartbeatList:
    """Instances heard from in the last day, alive or silent."""
    now = datetime.now(UTC)
    interval = state.settings.heartbeat_interval_s
    rows = await heartbeats.list_heartbeats(session, seen_since=now - LISTED_FOR)
    horizon = now - timedelta(seconds=MISSED_BEATS * interval)
    return HeartbeatList(
        interval_s=interval,
        instances=[
            HeartbeatRead(
                service=row.service,
                instance_id=row.instance_id,
                last_seen_at=row.last_seen_at,
                uptime_s=row.uptime_s,
                alive=row.last_seen_at >= horizon,
                details=row.details,
            )
            for row in rows
        ],
    )
