"""``/api/v1/dead-letters``: what the platform could not deliver, and sending it again (R-OUT-10).

Both need ``deadletter.replay`` (message bodies carry customer data) and both are audited. A
replayed message goes back to the exchange and routing key it was first published to; the
dispatcher gives a replayed notification whose deadline has passed a fresh one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from libs.common.bus.dead_letters import list_dead_letters, replay_dead_letters
from libs.common.http_errors import error_responses
from services.admin_api.api.deps import CurrentUser, Perm, SessionDep, StateDep
from services.admin_api.api.models import WriteModel
from services.admin_api.audit import record

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead-letters 死信"])

PERMISSION = "deadletter.replay"
MAX_LETTERS = 1000


class DeadLetter(BaseModel):
    """One message in the dead-letter queue."""

    message_id: str | None = Field(description="消息 ID · message id", examples=["9f2c1d…"])
    exchange: str | None = Field(
        description="原交换机 · original exchange", examples=["wx.outbound"]
    )
    routing_key: str = Field(
        description="原路由键 · original routing key", examples=["alert.wechat"]
    )
    reason: str | None = Field(
        description="死信原因 · why (rejected, expired…)", examples=["rejected"]
    )
    dead_at: str | None = Field(description="进入死信时间 · when it died (ISO 8601)")
    body: Any = Field(description="消息体 · the message body (text, or base64 when binary)")


class DeadLetterList(BaseModel):
    """Dead letters, oldest first, left in the queue."""

    count: int = Field(examples=[1])
    dead_letters: list[DeadLetter]


class ReplayRequest(WriteModel):
    """Which dead letters to send again: up to ``limit``, only ``message_ids`` if given."""

    limit: int = Field(100, ge=1, le=MAX_LETTERS, description="最多重放条数 · at most this many")
    message_ids: list[str] | None = Field(
        None, max_length=MAX_LETTERS, description="仅重放这些 · only these", examples=[["9f2c1d"]]
    )


class Skipped(BaseModel):
    """A dead letter left in the queue, and why."""

    message_id: str | None
    why: str


class ReplayResult(BaseModel):
    """What was sent again."""

    replayed: list[str | None] = Field(examples=[["9f2c1d"]])
    skipped: list[Skipped]


@router.get(
    "",
    response_model=DeadLetterList,
    dependencies=[Perm(PERMISSION)],
    summary="死信列表 · list dead letters",
    responses=error_responses(401, 403, 422),
)
async def list_letters(
    principal: CurrentUser,
    session: SessionDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LETTERS, description="最多条数 · at most")] = 100,
) -> DeadLetterList:
    """Up to ``limit`` dead letters with their bodies; they stay in the queue."""
    letters = await list_dead_letters(state.bus, limit=limit)
    ids = [letter["message_id"] for letter in letters]
    await record(session, principal, "deadletter.list", "dead_letter", after={"ids": ids})
    return DeadLetterList.model_validate({"count": len(letters), "dead_letters": letters})


@router.post(
    "/replay",
    response_model=ReplayResult,
    dependencies=[Perm(PERMISSION)],
    summary="重放死信 · replay dead letters",
    responses=error_responses(401, 403, 422),
)
async def replay_letters(
    body: ReplayRequest, principal: CurrentUser, session: SessionDep, state: StateDep
) -> ReplayResult:
    """Send dead letters back to where they were first published."""
    wanted = set(body.message_ids) if body.message_ids is not None else None
    result = await replay_dead_letters(state.bus, limit=body.limit, message_ids=wanted)
    await record(session, principal, "deadletter.replay", "dead_letter", after=result)
    return ReplayResult.model_validate(result)
