"""``/api/v1/cs/ws``: the agents' console socket (protocol in :mod:`services.admin_api.push`).

Browsers cannot set headers on a WebSocket, so the access token comes as ``?token=``; a bad
token closes with 4401, a user without ``cs.agent`` with 4403, before anything is sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, WebSocket

from services.admin_api.api.deps import load_principal
from services.admin_api.errors import AdminError
from services.admin_api.push import serve_console
from services.admin_api.state import AdminState

PATH = "/api/v1/cs/ws"


async def console_socket(
    websocket: WebSocket,
    token: Annotated[str, Query(max_length=4096)] = "",
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> None:
    """Authenticate, then push this agent's feed and the queue sizes until the socket closes."""
    state: AdminState = websocket.app.state.admin
    ip = websocket.client.host if websocket.client else ""
    try:
        async with state.sessions() as session:
            principal = await load_principal(session, state, token, ip)
    except (AdminError, ValueError):
        await websocket.close(code=4401)
        return
    if not principal.can("cs.agent"):
        await websocket.close(code=4403)
        return
    if state.hub is None:
        await websocket.close(code=1013)
        return
    await websocket.accept()
    await serve_console(
        websocket,
        hub=state.hub,
        sessions=state.sessions,
        agent_id=principal.user_id,
        cursor=cursor,
        heartbeat_s=state.settings.cs_ws_heartbeat_s,
    )
