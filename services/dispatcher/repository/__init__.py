"""The dispatcher's typed queries, one module per kind of row.

Functions take the session first and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from services.dispatcher.repository.claims import (
    Claimed,
    Unclaimed,
    claim,
    claim_many,
    get_status,
    get_statuses,
    release_lease,
    renew_leases,
)
from services.dispatcher.repository.custom_sends import forget_custom_send, start_custom_send
from services.dispatcher.repository.directory import (
    RecipientState,
    get_account,
    get_customer,
    get_reminder_type,
    list_recipient_states,
    mark_unsubscribed,
)
from services.dispatcher.repository.events import (
    PendingEvent,
    add_events,
    add_events_many,
    list_events,
)
from services.dispatcher.repository.reports import Reach, Reported, apply_report
from services.dispatcher.repository.transitions import (
    TERMINAL,
    Finish,
    finish,
    finish_many,
    set_channel,
    set_channel_many,
    set_deadline,
)
from services.dispatcher.repository.windows import (
    close_window,
    open_window,
    open_windows,
    use_window,
)

__all__ = [
    "TERMINAL",
    "Claimed",
    "Finish",
    "PendingEvent",
    "Reach",
    "RecipientState",
    "Reported",
    "Unclaimed",
    "add_events",
    "add_events_many",
    "apply_report",
    "claim",
    "claim_many",
    "close_window",
    "finish",
    "finish_many",
    "forget_custom_send",
    "get_account",
    "get_customer",
    "get_reminder_type",
    "get_status",
    "get_statuses",
    "list_events",
    "list_recipient_states",
    "mark_unsubscribed",
    "open_window",
    "open_windows",
    "release_lease",
    "renew_leases",
    "set_channel",
    "set_channel_many",
    "set_deadline",
    "start_custom_send",
    "use_window",
]
