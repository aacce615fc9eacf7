"""HTTP models of the notification API (requests reuse the domain's ``NotificationCreate``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from libs.common.customer_numbers import opened
from libs.common.db.models import Notification, NotificationEvent, NotificationJob
from libs.common.masking import mask_phone
from libs.common.secret_box import SecretBox
from services.gateway.api.errors import ErrorBody, FieldError
from services.gateway.notifications.schemas import NotificationCreate

__all__ = [
    "BatchItemResult",
    "BatchResult",
    "HistoryEntry",
    "JobRead",
    "JobRowError",
    "NotificationAccepted",
    "NotificationBatch",
    "NotificationCreate",
    "NotificationRead",
    "RecipientRead",
]


class NotificationAccepted(BaseModel):
    """The notification is stored and queued for delivery."""

    id: str = Field(examples=["019ac1f3a2b40c9d2e7f11aa30b5c6d7"])
    status: Literal["accepted"] = "accepted"
    duplicate: bool = Field(
        default=False, description="True when the idempotency key was seen before (HTTP 200)."
    )


class NotificationBatch(BaseModel):
    """Up to 1,000 notifications (``WXHUB_BATCH_MAX``), each validated on its own."""

    items: Annotated[
        list[Any],
        Field(
            min_length=1,
            description="Notification requests; an invalid item is reported, not fatal.",
            json_schema_extra={"items": {"$ref": "#/components/schemas/NotificationCreate"}},
        ),
    ]


class BatchItemResult(BaseModel):
    """The fate of one batch item."""

    index: int = Field(description="Position of the item in `items`, from 0.")
    status: Literal["accepted", "duplicate", "rejected", "publish_failed"]
    id: str | None = Field(default=None, description="Absent only when rejected.")
    error: ErrorBody | None = None


class BatchResult(BaseModel):
    """Per-item results, in item order, with counts."""

    accepted: int
    duplicates: int
    rejected: int
    publish_failed: int = Field(
        description="Stored but not queued: resend those items with the same idempotency keys."
    )
    results: list[BatchItemResult]


class HistoryEntry(BaseModel):
    """One step of a notification's life."""

    at: datetime
    status: str
    channel: str | None = None
    detail: str = ""
    errcode: int | None = None

    @classmethod
    def of(cls, event: NotificationEvent) -> HistoryEntry:
        """From a history row."""
        return cls(
            at=event.at,
            status=event.status,
            channel=event.channel,
            detail=event.detail,
            errcode=event.errcode,
        )


class RecipientRead(BaseModel):
    """The resolved recipient (phone masked)."""

    openid: str | None = None
    customer_no: str | None = None
    phone: str | None = Field(default=None, examples=["138****0001"])


class NotificationRead(BaseModel):
    """A notification's status, the channel used, the reason, and its history."""

    id: str
    account: str | None
    event_type: str
    priority: str
    status: str = Field(
        description=(
            "accepted | sending | delivered | fallback_sent | suppressed | failed; WeChat's "
            "delivery report then moves delivered to confirmed | blocked | failed_on_wechat"
        ),
        examples=["delivered"],
    )
    channel: str | None = Field(default=None, description="Channel that delivered (or last tried).")
    reason: str | None = Field(default=None, description="Why it fell back or failed.")
    fallback: str
    to: RecipientRead
    attempts: int
    idempotency_key: str | None = None
    job_id: str | None = None
    deadline_at: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    history: list[HistoryEntry]

    @classmethod
    def of(
        cls,
        row: Notification,
        account: str | None,
        history: list[NotificationEvent],
        box: SecretBox,
    ) -> NotificationRead:
        """From the stored row and its events (the sealed numbers opened with ``box``)."""
        return cls(
            id=row.id,
            account=account,
            event_type=row.event_type,
            priority=row.priority,
            status=row.status,
            channel=row.channel,
            reason=row.reason,
            fallback=row.fallback,
            to=RecipientRead(
                openid=row.openid,
                customer_no=opened(box, row.customer_no_enc),
                phone=mask_phone(box.decrypt(row.phone_enc) if row.phone_enc else None),
            ),
            attempts=row.attempts,
            idempotency_key=row.idempotency_key,
            job_id=row.job_id,
            deadline_at=row.deadline_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            finished_at=row.finished_at,
            history=[HistoryEntry.of(event) for event in history],
        )


class JobRowError(BaseModel):
    """Why one CSV row was not accepted (``row`` counts data rows from 1; null: the whole job)."""

    row: int | None
    code: str
    message: str
    errors: list[FieldError] | None = None
    id: str | None = None


class JobRead(BaseModel):
    """A CSV job's progress."""

    id: str
    account: str | None
    event_type: str
    status: Literal["running", "done", "failed", "interrupted"] | str
    total_rows: int
    processed_rows: int
    accepted_rows: int
    failed_rows: int
    errors: list[JobRowError]
    errors_truncated: bool = Field(description="More rows failed than `errors` lists.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, job: NotificationJob, account: str | None) -> JobRead:
        """From the stored job."""
        errors = [JobRowError.model_validate(e) for e in job.errors or []]
        errors.sort(key=lambda e: (e.row is None, e.row or 0))
        return cls(
            id=job.id,
            account=account,
            event_type=job.event_type,
            status=job.status,
            total_rows=job.total_rows,
            processed_rows=job.accepted_rows + job.failed_rows,
            accepted_rows=job.accepted_rows,
            failed_rows=job.failed_rows,
            errors=errors,
            errors_truncated=job.failed_rows > sum(1 for e in errors if e.row is not None),
            created_at=job.created_at,
            updated_at=job.updated_at,
        )
