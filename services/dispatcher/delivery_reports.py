"""WeChat's delivery reports (R-OUT-9) applied to the notification rows the dispatcher owns.

"delivered" only means WeChat's API accepted a message. TEMPLATESENDJOBFINISH then says whether
it reached the follower, and MASSSENDJOBFINISH how far a mass send reached. The engine turns
those callbacks into ``wechat.job_finished`` events; this consumer (queue
``dispatcher.reports``) finds the notification by its WeChat msgid and moves it on:

    delivered ──success────────────────▶ confirmed
              ──failed:user block──────▶ blocked
              ──failed: system failed──▶ failed_on_wechat   (and any other failure)

A mass send's counts (total, filtered, sent, errors) are stored on its row either way. Each
change is a ``delivery.<status>`` event for stats. A report naming no known msgid is retried
for a while (the send's own commit may still be on its way), then dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import EVENTS, Bus, Exchange, Message, Queue, Retry, Topology
from libs.common.observability.logging import get_logger
from libs.common.schemas.events import DeliveryStatusChanged, WeChatJobFinished
from services.dispatcher import repository
from services.dispatcher.accounts import AccountDirectory, UnknownAccount
from services.dispatcher.delivery.events import status_events
from services.dispatcher.metrics import REPORT_LATENCY, WECHAT_REPORTS

log = get_logger(__name__)

REPORTS = "dispatcher.reports"
REPORTED = ("confirmed", "blocked", "failed_on_wechat")


def reports_topology() -> Topology:
    """The dispatcher's own queue of WeChat's delivery reports."""
    return Topology(
        exchanges=[Exchange(EVENTS, "topic")],
        queues=[Queue(REPORTS, [(EVENTS, "wechat.job_finished")])],
    )


def reported_status(kind: str, status: str) -> str:
    """The notification status a job-finish ``status`` of ``kind`` (template | mass) means."""
    # WeChat writes "failed:user block" and "failed: system failed"; spacing is not reliable.
    normalised = status.replace(" ", "").lower()
    if kind == "mass":
        return "confirmed" if normalised == "sendsuccess" else "failed_on_wechat"
    if normalised == "success":
        return "confirmed"
    if normalised == "failed:userblock":
        return "blocked"
    return "failed_on_wechat"


class DeliveryReportHandler:
    """Applies ``wechat.job_finished`` events to notifications (acked after the commit)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: AccountDirectory,
        bus: Bus,
        *,
        wait_s: float,
        retry_s: float,
        events_interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._wait_s = wait_s
        self._retry_s = retry_s
        self._events = status_events(bus, interval_s=events_interval_s)

    async def start(self) -> None:
        """Start publishing status events."""
        await self._events.start()

    async def stop(self) -> None:
        """Publish what is still queued."""
        await self._events.stop()

    async def __call__(self, report: WeChatJobFinished, message: Message) -> None:
        """Apply one report; :class:`Retry` while its msgid is not known yet."""
        try:
            account = await self._directory.account(code=report.account)
        except UnknownAccount:
            log.warning("delivery_report_unknown_account", account=report.account)
            return
        status = reported_status(report.kind, report.status)
        reach = None
        if report.kind == "mass":
            reach = repository.Reach(
                report.total_count, report.filter_count, report.sent_count, report.error_count
            )
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            changed = await repository.apply_report(
                session,
                account_id=account.id,
                msgid=report.msgid,
                status=status,
                detail=f"WeChat: {report.status}"[:200],
                reach=reach,
                now=now,
            )
        if changed is None:
            age_s = (now - report.occurred_at.astimezone(UTC)).total_seconds()
            if age_s < self._wait_s:
                # Backing off with the report's age keeps the redeliveries few (about ten over
                # the wait): quorum queues dead-letter a message redelivered too often.
                delay_s = min(max(self._retry_s, age_s), max(self._retry_s, self._wait_s / 6))
                raise Retry(f"no notification with msgid {report.msgid} yet", delay_s=delay_s)
            log.warning("delivery_report_unmatched", msgid=report.msgid, kind=report.kind)
            WECHAT_REPORTS.labels(report.account, report.kind, "unmatched").inc()
            return
        for row in changed:
            WECHAT_REPORTS.labels(report.account, report.kind, status).inc()
            accepted_at = row.created_at
            if accepted_at.tzinfo is None:
                accepted_at = accepted_at.replace(tzinfo=UTC)
            REPORT_LATENCY.labels(report.account, status).observe(
                max(0.0, (now - accepted_at).total_seconds())
            )
            self._events.add(
                DeliveryStatusChanged(
                    correlation_id=row.id,
                    notification_id=row.id,
                    account=report.account,
                    status=status,
                    previous="delivered",
                    channel=row.channel,
                    reason=report.status[:64],
                    priority=row.priority,
                    accepted_at=row.created_at,
                    event_type=row.event_type,
                )
            )
