"""The states of a publication and of each of its recipients (the workflow moves between them)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a publication stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    """Whether a recipient's message is on the bus yet."""

    PENDING = "pending"
    QUEUED = "queued"


# A publication in one of these states was reviewed against its saved audience's current
# definition, so that definition may not change (or vanish) under it.
IN_REVIEW_OR_SENDING = (Status.SUBMITTED, Status.APPROVED, Status.SCHEDULED, Status.SENDING)
