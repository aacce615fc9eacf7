"""The end of a notification's run: its terminal transition, its metrics, its event.

::

    Final (notifications.py) ─▶ Transitions.finish (finishes.py, batched commit)
        ─▶ not ours any more (another worker finished it): nothing else
        ─▶ FINAL_STATUS, DELIVERY_LATENCY ─▶ delivery.<status> event (events.py)
"""

from __future__ import annotations

from libs.common.bus import Reject
from services.dispatcher.accounts import AccountInfo
from services.dispatcher.delivery.events import StatusPublisher
from services.dispatcher.delivery.finishes import Finishing, Transitions
from services.dispatcher.delivery.run import DeliveryRun, Final, now
from services.dispatcher.metrics import DELIVERY_LATENCY, FINAL_STATUS
from services.dispatcher.repository import Claimed, Finish, PendingEvent


class Outcomes:
    """Ends runs: commits each outcome, then counts and announces it."""

    def __init__(self, transitions: Transitions, events: StatusPublisher) -> None:
        self._transitions = transitions
        self._events = events

    async def finish(self, run: DeliveryRun, final: Final) -> None:
        """Commit ``final`` with the run's history; count it and announce it once durable.

        A ``failed`` outcome that may pass (a transient error) is then rejected, so the bus
        dead-letters the message for an operator's replay.
        """
        claimed = run.claimed
        run.note(final.status, final.reason or "ok", channel=final.channel)
        finished = await self._transitions.finish(
            Finishing(
                Finish(
                    claimed.id,
                    final.status,
                    final.channel,
                    final.reason,
                    final.provider_id,
                    tuple(run.events),
                    claimed.attempts,
                ),
                claimed.account_id,
                run.outgoing.openid if run.unsubscribed else None,
            )
        )
        if not finished:
            return  # another worker finished it meanwhile; its outcome stands
        account = run.account.code
        FINAL_STATUS.labels(account, claimed.priority, final.status, final.channel or "-").inc()
        DELIVERY_LATENCY.labels(account, claimed.priority, final.status).observe(
            max(0.0, (now() - claimed.created_at).total_seconds())
        )
        refused = final.status != "delivered"
        self._events.changed(
            claimed,
            run.account,
            final.status,
            previous="sending",
            channel=final.channel,
            reason=final.reason,
            reason_code=final.code.value if refused else None,
            errcode=run.last_errcode if refused else None,
        )
        if final.status == "failed" and final.transient:
            raise Reject(f"notification {claimed.id} failed: {final.reason}")

    async def finish_unstarted(
        self, claimed: Claimed, status: str, reason: str, account: AccountInfo | None = None
    ) -> None:
        """End a claimed notification that could not start (unknown account or event type)."""
        event = PendingEvent(now(), status, reason)
        finished = await self._transitions.finish(
            Finishing(
                Finish(claimed.id, status, None, reason, None, (event,), claimed.attempts),
                claimed.account_id,
            )
        )
        if not finished:
            return
        code = account.code if account is not None else "-"
        FINAL_STATUS.labels(code, claimed.priority, status, "-").inc()
        if account is not None:
            self._events.changed(claimed, account, status, previous="sending", reason=reason)
