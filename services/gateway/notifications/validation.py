"""Validating notification requests against the account's reminder types (no database).

Each item is parsed, its account and reminder type are looked up in the cached
:class:`ConfigSnapshot`, and the type's defaults (priority, fallback, deadline) are applied;
once its recipient is known, :func:`check_channels` makes sure some channel can carry it and
that ``data`` fills every text that channel uses. A refused item raises :class:`Rejection`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from services.gateway.notifications.config import ConfigSnapshot, EnabledAccount, ReminderRules
from services.gateway.notifications.schemas import NotificationCreate


class Rejection(Exception):
    """An item the API refuses, with a stable ``code`` and an HTTP status (422 by default)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 422,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: ``code``, ``message`` and field ``errors`` when there are any."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``{"loc", "message", "type"}`` dicts safe to put in JSON."""
    return [
        {
            "loc": [_printable(part) for part in error["loc"]],
            "message": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors(include_url=False)
    ]


def _printable(part: str | int) -> str | int:
    """A location part that can be encoded in the answer (a refused key may not be)."""
    if isinstance(part, str):
        return part.encode("utf-8", "backslashreplace").decode()
    return part


def loc_error(loc: list[str | int], message: str, kind: str = "value_error") -> dict[str, Any]:
    """One field error."""
    return {"loc": loc, "message": message, "type": kind}


@dataclass(slots=True, eq=False)
class Candidate:
    """An item that passed validation, with defaults applied and recipient being resolved."""

    index: int
    request: NotificationCreate
    account: EnabledAccount
    reminder: ReminderRules
    priority: str
    fallback: str
    fallback_explicit: bool
    openid: str | None
    customer_no: str | None
    phone: str | None
    deadline_at: datetime
    notes: list[str] = field(default_factory=list)
    id: str = ""

    @property
    def key(self) -> str | None:
        """The caller's idempotency key."""
        return self.request.idempotency_key


def parse(raw: NotificationCreate | Any) -> NotificationCreate:
    """The request model of a raw item; raises :class:`Rejection` with the field errors."""
    if isinstance(raw, NotificationCreate):
        return raw
    try:
        return NotificationCreate.model_validate(raw)
    except ValidationError as exc:
        raise Rejection(
            "invalid_request", "The item is invalid.", errors=field_errors(exc)
        ) from None


def prepare(
    index: int, request: NotificationCreate, snapshot: ConfigSnapshot, now: datetime
) -> Candidate:
    """Look up account and reminder type, apply their defaults; raises :class:`Rejection`."""
    account = snapshot.accounts.get(request.account)
    if account is None:
        raise Rejection(
            "unknown_account",
            f"No enabled account {request.account!r}.",
            errors=[loc_error(["account"], "unknown account")],
        )
    reminder = snapshot.reminders.get((account.id, request.event_type))
    if reminder is None:
        raise Rejection(
            "unknown_event_type",
            f"No reminder type {request.event_type!r} on account {account.code!r}.",
            errors=[loc_error(["event_type"], "unknown event type")],
        )
    if request.fallback == "sms" and not reminder.fallback_allowed:
        raise Rejection(
            "fallback_not_allowed",
            f"Reminder type {reminder.event_type!r} may not fall back to SMS.",
            errors=[loc_error(["fallback"], "SMS fallback not allowed for this event type")],
        )
    if request.fallback is not None:
        fallback = request.fallback
    elif reminder.fallback_allowed and reminder.default_fallback == "sms":
        fallback = "sms"
    else:
        fallback = "none"
    default_priority = reminder.default_priority if reminder.default_priority == "bulk" else "alert"
    return Candidate(
        index=index,
        request=request,
        account=account,
        reminder=reminder,
        priority=request.priority or default_priority,
        fallback=fallback,
        fallback_explicit=request.fallback is not None,
        openid=request.to.openid,
        customer_no=request.to.customer_no,
        phone=request.to.phone,
        deadline_at=now + timedelta(seconds=request.deadline_s),
    )


def check_channels(item: Candidate) -> None:
    """Make sure some channel can carry the message and the data fills its texts."""
    if item.fallback == "sms" and not item.phone:
        if item.fallback_explicit:
            raise Rejection(
                "no_fallback_phone",
                "fallback 'sms' needs a phone: give to.phone, or a customer with a phone on file.",
                errors=[loc_error(["to", "phone"], "no phone to fall back to")],
            )
        item.fallback = "none"
        item.notes.append("no phone known: SMS fallback off")
    if not item.openid and item.fallback != "sms":
        raise Rejection(
            "no_channel",
            "No openid to send by WeChat and no SMS fallback: nothing could deliver this.",
            errors=[loc_error(["to"], "give openid, a bound customer_no, or a phone with SMS")],
        )
    required = set(item.reminder.wechat_fields) if item.openid else set()
    if item.fallback == "sms":
        required |= item.reminder.sms_fields
    missing = sorted(required - item.request.data.keys())
    if missing:
        raise Rejection(
            "missing_data_fields",
            f"data lacks fields the {item.reminder.event_type!r} texts use: {', '.join(missing)}.",
            errors=[loc_error(["data", name], "field required", "missing") for name in missing],
        )
