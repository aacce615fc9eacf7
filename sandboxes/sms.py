"""SMS gateway sandbox (port 8091 in dev): a loopback stand-in for the company's SMS gateway.

Gateway API
-----------
``POST /send`` with ``{"message_id": str, "phone": str, "text": str}``
    → 200 ``{"ok": true, "id": "sms-…"}``. ``phone`` must be a mainland mobile number
    (``^1[3-9]\\d{9}$``), ``text`` 1..500 characters, ``message_id`` non-empty; otherwise
    400 ``{"ok": false, "error": "…"}``. Idempotent on ``message_id``: a repeat is answered
    ``ok`` with the first id and is not a second delivery.

Control API (``/__sandbox__/``)
-------------------------------
``POST /__sandbox__/faults``
    Arm a fault, see :mod:`sandboxes.faults`; besides ``latency_ms``, ``http_status`` and
    ``body`` it accepts ``"ok": false`` (answer 200 ``{"ok": false, "error": <error>}``, with
    an optional ``error`` text), all with ``count`` / ``percent`` / ``seed``. Example:
    ``{"path": "/send", "ok": false, "error": "quota exceeded", "count": 2}``.
``GET /__sandbox__/faults`` / ``DELETE /__sandbox__/faults``
    List / disarm the faults.
``GET /__sandbox__/calls?path=&limit=`` / ``DELETE /__sandbox__/calls``
    The recorded calls (outcomes ``ok``, ``duplicate``, ``invalid``, ``error``, ``http_<status>``)
    / forget them and reset the counters.
``GET /__sandbox__/stats``
    ``{"calls": {path: {outcome: n}}, "total": n, "delivered": n}``.
``GET /__sandbox__/messages?phone=`` / ``DELETE /__sandbox__/messages``
    The delivered messages (oldest first) / forget them (idempotency memory included).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.control import control_routes, read_json_object
from sandboxes.endpoint import Clock, Reply, SandboxBase, recorded
from sandboxes.faults import Answer, FaultBook, FaultSpecError, JsonObject
from sandboxes.recording import CallLog

MAX_TEXT_CHARS = 500
_PHONE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One delivered SMS."""

    id: str
    message_id: str
    phone: str
    text: str
    at: float

    def as_json(self) -> JsonObject:
        """The message as a JSON object."""
        return {
            "id": self.id,
            "message_id": self.message_id,
            "phone": self.phone,
            "text": self.text,
            "at": self.at,
        }


def _shape_fault(spec: Mapping[str, Any]) -> Answer | None:
    if "ok" not in spec:
        if "error" in spec:
            raise FaultSpecError('"error" goes with "ok": false')
        return None
    if spec["ok"] is not False:
        raise FaultSpecError('only "ok": false can be injected')
    error = spec.get("error", "injected failure")
    if not isinstance(error, str):
        raise FaultSpecError("error must be a string")
    return Answer(200, {"ok": False, "error": error})


class SmsState(SandboxBase):
    """Everything the SMS sandbox knows; tests read it in-process."""

    def __init__(
        self, *, call_log_size: int = 10_000, dedupe_size: int = 200_000, clock: Clock = time.time
    ) -> None:
        super().__init__(
            faults=FaultBook(
                extra_keys=frozenset({"ok", "error"}),
                shaper=_shape_fault,
                status_body=lambda status: {"ok": False, "error": f"HTTP {status}"},
            ),
            calls=CallLog(call_log_size),
            clock=clock,
        )
        self.messages: OrderedDict[str, SmsMessage] = OrderedDict()
        self.delivered = 0
        self._dedupe_size = dedupe_size

    def send(self, message_id: str, phone: str, text: str) -> tuple[SmsMessage, bool]:
        """Deliver once per ``message_id``; the flag says whether this call delivered."""
        known = self.messages.get(message_id)
        if known is not None:
            return known, False
        self.delivered += 1
        message = SmsMessage(f"sms-{self.delivered:08d}", message_id, phone, text, self.clock())
        self.messages[message_id] = message
        if len(self.messages) > self._dedupe_size:
            self.messages.popitem(last=False)
        return message, True

    def clear_messages(self) -> None:
        """Forget every delivered message."""
        self.messages.clear()


def _validate(body: JsonObject | None) -> str | None:
    if body is None:
        return "body must be a JSON object"
    message_id, phone, text = body.get("message_id"), body.get("phone"), body.get("text")
    if not isinstance(message_id, str) or not message_id:
        return "message_id is required"
    if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
        return "phone must be a mainland mobile number"
    if not isinstance(text, str) or not text:
        return "text is required"
    if len(text) > MAX_TEXT_CHARS:
        return f"text longer than {MAX_TEXT_CHARS} characters"
    return None


def build_app(state: SmsState | None = None) -> Starlette:
    """The SMS sandbox app; its state is ``app.state.sandbox``."""
    sms = state or SmsState()

    async def send(request: Request) -> Reply:
        body = await read_json_object(request)
        error = _validate(body)
        if error is not None or body is None:
            return Reply({"ok": False, "error": error}, "invalid", 400, body)
        message, fresh = sms.send(body["message_id"], body["phone"], body["text"])
        return Reply({"ok": True, "id": message.id}, "ok" if fresh else "duplicate", 200, body)

    async def list_messages(request: Request) -> Response:
        phone = request.query_params.get("phone")
        found = [m.as_json() for m in sms.messages.values() if phone is None or m.phone == phone]
        return JSONResponse({"messages": found})

    async def clear_messages(request: Request) -> Response:
        sms.clear_messages()
        return JSONResponse({"ok": True})

    def fault_outcome(body: JsonObject) -> str:
        return "ok" if body.get("ok") else "error"

    routes = [
        Route("/send", recorded(sms, send, fault_outcome), methods=["POST"]),
        Route("/__sandbox__/messages", list_messages, methods=["GET"]),
        Route("/__sandbox__/messages", clear_messages, methods=["DELETE"]),
        *control_routes(sms, lambda: {"delivered": sms.delivered}),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sms
    return app
