"""The working state of one notification's delivery, and how it ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.dispatcher.accounts import AccountInfo, ReminderTexts
from services.dispatcher.channels.base import Outgoing
from services.dispatcher.delivery.suppression import Verdict
from services.dispatcher.fallback import Reason
from services.dispatcher.repository import Claimed, PendingEvent


def now() -> datetime:
    """The current time, timezone-aware (what every transition is stamped with)."""
    return datetime.now(UTC)


@dataclass
class DeliveryRun:
    """One notification being delivered by this worker."""

    claimed: Claimed
    account: AccountInfo
    config: ReminderTexts
    outgoing: Outgoing
    # Whether the customer-service window was taken (None: not decided yet).
    window: bool | None = None
    # The channel recorded on the row (a resumed run must not repeat a non-idempotent one).
    recorded_channel: str | None = None
    events: list[PendingEvent] = field(default_factory=list)
    # Some attempt may have reached the user without saying so (timeout of a custom message).
    outcome_unknown: bool = False
    # WeChat said the user unfollowed (43004): the customer row is updated with the finish.
    unsubscribed: bool = False
    # The errcode of the last refused attempt (reported with a fallback or failure).
    last_errcode: int | None = None
    # Why WeChat must not be used for this recipient (None: it may).
    verdict: Verdict | None = None

    def note(
        self, status: str, detail: str, *, channel: str | None = None, errcode: int | None = None
    ) -> None:
        """Remember a decision, to be stored with the next transition."""
        self.events.append(PendingEvent(now(), status, detail, channel, errcode))
        if errcode is not None:
            self.last_errcode = errcode


@dataclass(frozen=True, slots=True)
class Final:
    """The terminal status a delivery reached, and why."""

    status: str
    channel: str | None
    reason: str | None
    code: Reason = Reason.SENT
    provider_id: str | None = None
    # Whether the failure is worth a dead letter and an operator's replay.
    transient: bool = False
