"""Delivery: accepted → sending → delivered | fallback_sent | suppressed(reason) | failed(reason).

Follow a message through these modules, in this order:

- ``service.py``: the bus entry of one priority class; a notification or a custom message.
- ``claims.py``: take ownership of notifications (batched), with their windows (``windows.py``).
- ``notifications.py``: one notification from claim to terminal status, the flow drawn there.
- ``outgoing.py``: the reminder type's texts filled from the request data.
- ``suppression.py``: recipients WeChat must not reach (unfollowed, suspended, opted out).
- ``plan.py``: which channels to try, in order, and the fallback (from settings).
- ``attempts.py``: sending on one channel with retries; returns a ``Decision``.
- ``finishes.py``: the durable switch to the fallback, and the terminal transition (batched).
- ``outcomes.py``: the end of a run: its terminal transition, then its metrics and event.
- ``events.py``: ``delivery.<status>`` events, after the status is durable.
- ``custom_sends.py``: late replies, hand-overs and publications, sent at most once.

Every transition is committed before its event is published and before the bus message is
acked. The consumer is idempotent: a notification that is already terminal is just acked; one
in ``sending`` belongs to the run holding its lease (``claims.py``) — another copy of its message
is put back until that run ends or its worker dies and the lease runs out; then it is resumed
under a new claim generation (the old run's finish no longer counts) without repeating a send
that has no idempotency key, and with the same ``client_msg_id`` for one that has.

**What a bus message carries.** A notification's ``OutboundRequested`` is a doorbell: its
``notification_id`` (plus the account and priority that route it) and nothing the dispatcher
acts on. The row is the record — the gateway resolved the recipient and applied the reminder
type's defaults before committing it — and the claim must read the row anyway, atomically with
taking ownership, so a copy in the message could only disagree with it (after a sweeper
republish or a dead-letter replay). A custom message (late reply, hand-over, publication) is the
opposite: no row exists before the dispatcher writes one, so its message carries everything.
"""

from __future__ import annotations

from services.dispatcher.delivery.custom_sends import custom_send_id
from services.dispatcher.delivery.outgoing import render
from services.dispatcher.delivery.service import DeliveryService

__all__ = ["DeliveryService", "custom_send_id", "render"]
