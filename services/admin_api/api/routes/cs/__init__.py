"""Customer-service console (统一客服坐席, R-CS-1..4): seats, queue, sessions, transcripts,
canned replies, per-account configuration and tickets left outside service hours.

Agents hold ``cs.agent``; supervisors (``cs.supervise``) see every session of the accounts in
their data scope, take over and reassign, and configure seats and accounts. Sends to the follower
go through the dispatcher at ``alert`` priority; outside WeChat's 48-hour window (or with its
sends used up) a send answers 409 ``window_expired`` / ``window_quota_used``.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes.cs import (
    agents,
    canned,
    config,
    handling,
    sessions,
    tickets,
    transcripts,
)

# One router per resource; in this order the paths stand in the OpenAPI schema as they always have.
ROUTERS: list[APIRouter] = [
    agents.router,
    sessions.router,
    transcripts.router,
    handling.router,
    canned.router,
    config.router,
    tickets.router,
]
