"""``/api/v1/heartbeats``: every instance heard from in the last day, alive or silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from libs.common.db.models import ServiceHeartbeat
from tests.services.admin_api.support import AdminStack


async def test_alive_silent_and_forgotten_instances(stack: AdminStack) -> None:
    now = datetime.now(UTC)
    async with stack.sessions.begin() as session:
        session.add_all(
            [
                ServiceHeartbeat(
                    service="gateway",
                    instance_id="g1",
                    last_seen_at=now - timedelta(seconds=2),
                    uptime_s=120.0,
                    details={"version": "1"},
                ),
                ServiceHeartbeat(
                    service="engine",
                    instance_id="e1",
                    last_seen_at=now - timedelta(minutes=5),
                    uptime_s=30.0,
                    details={},
                ),
                ServiceHeartbeat(
                    service="engine",
                    instance_id="e0",
                    last_seen_at=now - timedelta(days=2),
                    uptime_s=9.0,
                    details={},
                ),
            ]
        )
    # any logged-in user sees the overview, heartbeats included
    answer = await stack.call("noperm", "GET", "/api/v1/heartbeats")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["interval_s"] == 10.0
    listed = {(i["service"], i["instance_id"]): i for i in body["instances"]}
    assert list(listed) == [("engine", "e1"), ("gateway", "g1")]
    assert listed["gateway", "g1"]["alive"] is True
    assert listed["gateway", "g1"]["details"] == {"version": "1"}
    assert listed["engine", "e1"]["alive"] is False
    assert (await stack.client.get("/api/v1/heartbeats")).status_code == 401
