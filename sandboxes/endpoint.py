"""How a sandbox endpoint runs: armed faults first, then the handler, and every call recorded."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandboxes.faults import Answer, FaultBook, JsonObject
from sandboxes.recording import Call, CallLog

Clock = Callable[[], float]


@dataclass(slots=True)
class Reply:
    """What a sandbox handler answers, and how the call log should remember it."""

    body: JsonObject
    outcome: str
    status: int = 200
    logged_body: Any = None
    errcode: int | None = None


Handler = Callable[[Request], Awaitable[Reply]]
Endpoint = Callable[[Request], Awaitable[Response]]
# Names the outcome of an injected answer that came back with HTTP 200.
FaultOutcome = Callable[[JsonObject], str]


@dataclass
class SandboxBase:
    """What every sandbox state has: its armed faults, its call log and its clock."""

    faults: FaultBook
    calls: CallLog
    clock: Clock = field(default=time.time)


def recorded(base: SandboxBase, handler: Handler, fault_outcome: FaultOutcome) -> Endpoint:
    """Wrap ``handler`` so it honours the armed faults and records every call."""

    async def endpoint(request: Request) -> Response:
        path: str = request.scope["path"]
        decision = base.faults.decide(path)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.answer is not None:
            return await _answer_fault(base, request, decision.answer, fault_outcome)
        reply = await handler(request)
        base.calls.add(
            Call(
                at=base.clock(),
                method=request.method,
                path=path,
                query=dict(request.query_params),
                body=reply.logged_body,
                status=reply.status,
                outcome=reply.outcome,
                errcode=reply.errcode,
            )
        )
        return JSONResponse(reply.body, reply.status)

    return endpoint


async def _answer_fault(
    base: SandboxBase, request: Request, answer: Answer, fault_outcome: FaultOutcome
) -> Response:
    body: Any = None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
    outcome = fault_outcome(answer.body) if answer.status == 200 else f"http_{answer.status}"
    errcode = answer.body.get("errcode")
    base.calls.add(
        Call(
            at=base.clock(),
            method=request.method,
            path=request.scope["path"],
            query=dict(request.query_params),
            body=body,
            status=answer.status,
            outcome=outcome,
            errcode=errcode if isinstance(errcode, int) and answer.status == 200 else None,
        )
    )
    return JSONResponse(answer.body, answer.status)
