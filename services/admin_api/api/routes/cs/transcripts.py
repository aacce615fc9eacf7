"""Transcripts: a session's lines in order, and the whole of one exported as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from libs.common.db.models import CsMessage
from libs.common.spreadsheet import SafeCsvRows
from services.admin_api.api.deps import Perm, SessionDep
from services.admin_api.api.models import MAX_ID
from services.admin_api.api.routes.cs.access import AGENT, ScopedSession, cs_router
from services.admin_api.repositories import cs as repo

router = cs_router()


class MessageRead(BaseModel):
    """One transcript line."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sender: str = Field(description="customer/agent/system")
    agent_id: int | None
    at: datetime
    msg_id: str | None
    kind: str
    content: str
    payload: dict[str, Any]


@router.get(
    "/sessions/{session_id}/messages",
    response_model=list[MessageRead],
    dependencies=[Perm(AGENT)],
    summary="会话记录 · transcript",
)
async def list_messages(
    cs: ScopedSession,
    session: SessionDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="此 ID 之后 · after this line id")
    ] = 0,
) -> list[MessageRead]:
    """The transcript in order (from after the line ``after``)."""
    lines = await repo.list_messages(session, session_id=cs.id, after=after)
    return [MessageRead.model_validate(line) for line in lines]


_CSV_COLUMNS = ["id", "at", "sender", "agent_id", "kind", "content", "msg_id"]


@router.get(
    "/sessions/{session_id}/transcript.csv",
    dependencies=[Perm(AGENT)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="导出会话记录 · export a transcript",
)
async def export_transcript(cs: ScopedSession, session: SessionDep) -> StreamingResponse:
    """One session's transcript as CSV (UTF-8 with BOM for spreadsheet apps)."""
    lines: list[CsMessage] = await repo.list_messages(session, session_id=cs.id, limit=100_000)

    async def body() -> AsyncIterator[str]:
        csv_rows = SafeCsvRows()
        yield "\ufeff" + csv_rows.render(_CSV_COLUMNS)
        for line in lines:
            yield csv_rows.render(
                [
                    line.id,
                    line.at.isoformat(),
                    line.sender,
                    line.agent_id or "",
                    line.kind,
                    line.content,
                    line.msg_id or "",
                ]
            )

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cs-session-{cs.id}.csv"'},
    )
