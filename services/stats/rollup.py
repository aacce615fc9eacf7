"""Which rollup rows an event adds to: its time buckets and its dimensions (pure functions).

Inbound (``inbound.handled``): account, message type, outcome and, as the reason, the
configured command that answered a text or the QR scene of a follow. Outbound
(``delivery.<status>``): account, event type (as the kind), channel, priority, status, reason
(the stable ``reason_code`` when the event has one), errcode and, for outcomes, the latency
bucket of acceptance→outcome. Clicks (``click``): account, the notification's event type (kind) and
channel, the source (``short_link`` | ``menu``) as the outcome, and what was clicked as the
reason: ``publication:<id>`` or ``notification:<id>`` for a tracked link, the URL for a menu
button. WeChat's job reports (``wechat.job_finished``): account, kind (``template`` | ``mass``)
and status; a mass send's report also adds its counts (total, filter, sent, error, as the
outcome) to ``mass.reach`` rows, so its reach is read from the rollups like any count.
Publications' sends (``publication.sent``): account, channel, status as the outcome and
``publication:<id>`` as the reason; each also adds its recipients to a ``publication.reach`` row
of the same dimensions (the reach a click-through rate divides by).
Customer service (``cs.*``, R-ST-1): account, the agent's user id as the kind (``""`` while no
agent has the session; a transfer's is the agent it left), the group as the reason, as the
outcome the close reason, the rating (``"1"``..``"5"``), ``reassigned`` for an assignment after
a transfer or requeue, ``requeued`` for a queueing after one, ``to_agent``/``to_group`` for a
transfer; and as the duration bucket (``CS_DURATION_BOUNDS_MS``) the queue wait of an assignment,
the first-response time, or the session length of a close. Any other event is counted by
account only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from libs.common.db.models import CS_DURATION_BOUNDS_MS, LATENCY_BOUNDS_MS
from services.stats.unpack import StoredEvent

GRAINS = ("minute", "hour", "day")
# The rollup rows of a mass send's counts (weighted by the count, not by the event).
MASS_REACH = "mass.reach"
MASS_COUNTS = ("total", "filter", "sent", "error")
# The rows of a publication's reach (weighted by the recipients of each send).
PUBLICATION_REACH = "publication.reach"
# Statuses that end the acceptance→outcome latency.
OUTCOMES = frozenset({"delivered", "fallback_sent", "suppressed", "failed"})


@dataclass(frozen=True, slots=True, order=True)
class RollupKey:
    """One rollup row's identity (its grain is the table)."""

    bucket: datetime
    event: str
    account: str
    kind: str = ""
    channel: str = ""
    priority: str = ""
    outcome: str = ""
    reason: str = ""
    errcode: str = ""
    latency_le_ms: int = 0


def bucket_start(at: datetime, grain: str) -> datetime:
    """The start of the minute, hour or UTC day containing ``at``."""
    if grain == "minute":
        return at.replace(second=0, microsecond=0)
    if grain == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def latency_bucket(ms: float) -> int:
    """The upper bound of the latency bucket holding ``ms``."""
    index = min(bisect_left(LATENCY_BOUNDS_MS, ms), len(LATENCY_BOUNDS_MS) - 1)
    return LATENCY_BOUNDS_MS[index]


def rollup(events: list[StoredEvent]) -> dict[str, Counter[RollupKey]]:
    """Counts per rollup row of every grain over ``events``.

    Each event's dimensions are worked out once and counted per minute; hours and days are
    then summed from the (far fewer) minute rows.
    """
    minutes: Counter[tuple[datetime, tuple[str, str, str, str, str, str, str, str, int]]] = (
        Counter()
    )
    for event in events:
        minute = event.occurred_at.replace(second=0, microsecond=0)
        minutes[minute, _dimensions(event)] += 1
        for dims, weight in _reach(event):
            minutes[minute, dims] += weight
    result: dict[str, Counter[RollupKey]] = {grain: Counter() for grain in GRAINS}
    for (minute, dims), count in minutes.items():
        for grain in GRAINS:
            result[grain][RollupKey(bucket_start(minute, grain), *dims)] += count
    return result


def _dimensions(event: StoredEvent) -> tuple[str, str, str, str, str, str, str, str, int]:
    """(event, account, kind, channel, priority, outcome, reason, errcode, latency_le_ms)."""
    payload = event.payload
    if event.event == "inbound.handled":
        kind = _text(payload.get("kind"), 32)
        outcome = _text(payload.get("outcome"), 32)
        reason = _text(payload.get("command") or payload.get("scene"), 64)
        return (event.event, event.account, kind, "", "", outcome, reason, "", 0)
    if event.event == "wechat.job_finished":
        kind = _text(payload.get("kind"), 32)
        return (
            event.event,
            event.account,
            kind,
            "",
            "",
            _text(payload.get("status"), 32),
            "",
            "",
            0,
        )
    if event.event.startswith("delivery."):
        status = _text(payload.get("status"), 32)
        errcode = payload.get("errcode")
        return (
            event.event,
            event.account,
            _text(payload.get("event_type"), 32),
            _text(payload.get("channel"), 32),
            _text(payload.get("priority"), 16),
            status,
            _text(payload.get("reason_code") or payload.get("reason"), 64),
            "" if errcode is None else _text(errcode, 16),
            _latency(event, status),
        )
    if event.event == "click":
        return (
            event.event,
            event.account,
            _text(payload.get("event_type"), 32),
            _text(payload.get("channel"), 32),
            "",
            _text(payload.get("source"), 32),
            _click_target(payload),
            "",
            0,
        )
    if event.event == "publication.sent":
        return (
            event.event,
            event.account,
            "",
            _text(payload.get("channel"), 32),
            "",
            _text(payload.get("status"), 32),
            f"publication:{_text(payload.get('publication_id'), 40)}",
            "",
            0,
        )
    if event.event.startswith("cs."):
        return _cs_dimensions(event)
    return (event.event, event.account, "", "", "", "", "", "", 0)


# The duration each customer-service event carries, in seconds (none for the others).
_CS_SECONDS = {
    "cs.assigned": "wait_s",
    "cs.first_response": "first_response_s",
    "cs.closed": "duration_s",
}


def _cs_dimensions(event: StoredEvent) -> tuple[str, str, str, str, str, str, str, str, int]:
    payload = event.payload
    what = event.event
    agent = payload.get("from_agent_id" if what == "cs.transferred" else "agent_id")
    outcome: object = ""
    if what == "cs.closed":
        outcome = payload.get("reason")
    elif what == "cs.rated":
        outcome = payload.get("rating")
    elif what == "cs.assigned" and payload.get("reassigned"):
        outcome = "reassigned"
    elif what == "cs.queued" and payload.get("requeued"):
        outcome = "requeued"
    elif what == "cs.transferred":
        outcome = "to_agent" if payload.get("to_agent_id") is not None else "to_group"
    seconds = payload.get(_CS_SECONDS.get(what, ""))
    bucket = 0
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        bucket = cs_duration_bucket(max(0.0, float(seconds)) * 1000)
    return (
        what,
        event.account,
        _text(agent, 32),
        "",
        "",
        _text(outcome, 32),
        _text(payload.get("group"), 64),
        "",
        bucket,
    )


def cs_duration_bucket(ms: float) -> int:
    """The upper bound of the customer-service duration bucket holding ``ms`` (the last bucket
    also holds anything longer)."""
    index = min(bisect_left(CS_DURATION_BOUNDS_MS, ms), len(CS_DURATION_BOUNDS_MS) - 1)
    return CS_DURATION_BOUNDS_MS[index]


def _reach(
    event: StoredEvent,
) -> list[tuple[tuple[str, str, str, str, str, str, str, str, int], int]]:
    """A mass send report's counts as weighted ``mass.reach`` rows, a publication's send as a
    ``publication.reach`` row weighted by its recipients (none for anything else)."""
    if event.event == "publication.sent":
        recipients = event.payload.get("recipients")
        if not isinstance(recipients, int) or isinstance(recipients, bool) or recipients <= 0:
            return []
        dims = _dimensions(event)
        return [((PUBLICATION_REACH, *dims[1:]), recipients)]
    if event.event != "wechat.job_finished" or event.payload.get("kind") != "mass":
        return []
    rows = []
    for name in MASS_COUNTS:
        value = event.payload.get(f"{name}_count")
        if isinstance(value, int) and value > 0:
            rows.append(((MASS_REACH, event.account, "", "", "", name, "", "", 0), value))
    return rows


def _click_target(payload: dict[str, object]) -> str:
    """What a click counts for: the publication or notification, else the URL."""
    if payload.get("publication_id") is not None:
        return f"publication:{payload['publication_id']}"
    if payload.get("notification_id"):
        return f"notification:{payload['notification_id']}"
    return _text(payload.get("url"), 64)


def _latency(event: StoredEvent, status: str) -> int:
    accepted = event.payload.get("accepted_at")
    if status not in OUTCOMES or not isinstance(accepted, str):
        return 0
    try:
        accepted_at = datetime.fromisoformat(accepted)
    except ValueError:
        return 0
    if accepted_at.tzinfo is None:
        return 0
    return latency_bucket(max(0.0, (event.occurred_at - accepted_at).total_seconds() * 1000))


def _text(value: object, limit: int) -> str:
    return "" if value is None else str(value)[:limit]
