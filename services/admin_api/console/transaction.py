"""One console operation as one transaction: the change runs on the request's session, commits,
and only then are its effects published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.cs import effects as cs_effects
from libs.common.cs.effects import Effects
from services.admin_api.state import AdminState


def rules(state: AdminState) -> dict[str, Any]:
    """The assignment settings every workflow step takes: strategy, window quota, queue step."""
    return {
        "strategy": state.settings.cs_assignment,
        "quota": state.settings.cs_window_sends,
        "step": state.settings.cs_position_step,
    }


async def run(
    state: AdminState,
    session: AsyncSession,
    change: Callable[[AsyncSession], Awaitable[tuple[Any, Effects]]],
) -> Any:
    """Apply ``change`` on the request's own session and commit, then publish its effects.

    One connection per request: a second session here would hold a second pooled connection
    while the request's first one waits, and enough concurrent sends would exhaust the pool
    with every request holding one and waiting for another. What the request loaded so far is
    expired first, so the change reads the rows afresh, as in a transaction of its own.
    """
    session.expire_all()
    result, effects = await change(session)
    await session.commit()
    await cs_effects.publish(state.bus, effects)
    return result
