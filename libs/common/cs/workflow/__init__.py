"""Every state change of a customer-service session, on the caller's database session.

```
request ──▶ queued ──assign──▶ assigned ──close──▶ closed ──rate──▶ (rating stored)
               ▲                  │  transfer (agent: stays assigned; group: queued again)
               └── agent offline ─┘  (back at the head of the queue)
```

Functions flush, never commit; each returns the :class:`Effects` to publish after the caller
commits. Assignment locks the candidate agents' rows (``FOR UPDATE`` on PostgreSQL), so two
processes assigning at once never give an agent more sessions than their cap, and skips queued
sessions another process is assigning (``SKIP LOCKED``).

One module per part of the flow, all read through this one face (``workflow.<name>``):

- ``routing``: ``request`` (into a group's queue) and ``transfer`` (to an agent or a group);
- ``assignment``: the agents' seats, ``assign_waiting`` and the new places told to the queue;
- ``transcript``: ``append_customer`` and ``append_agent``;
- ``closing``: ``close``, ``close_idle``, ``closing_reply`` and the rating;
- ``presence``: agents leaving, consoles seen and vanished;
- ``windows``: WeChat's 48-hour window and the notices that spend it;
- ``lookups``: reads that change nothing; ``records``: what every state change writes beside it.
"""

from libs.common.cs.workflow.assignment import POSITION_RESERVE, announce_positions, assign_waiting
from libs.common.cs.workflow.closing import (
    close,
    close_idle,
    closing_reply,
    get_awaiting_rating,
    rate,
)
from libs.common.cs.workflow.lookups import (
    OPEN_STATES,
    get_config,
    get_open,
    queue_position,
    queue_sizes,
    ticket_exists,
)
from libs.common.cs.workflow.presence import mark_consoles_seen, release_vanished, requeue_agent
from libs.common.cs.workflow.records import Strategy, open_key
from libs.common.cs.workflow.routing import Requested, request, transfer
from libs.common.cs.workflow.transcript import append_agent, append_customer
from libs.common.cs.workflow.windows import WINDOW, WindowClosed, check_window, window_left

__all__ = [
    "OPEN_STATES",
    "POSITION_RESERVE",
    "WINDOW",
    "Requested",
    "Strategy",
    "WindowClosed",
    "announce_positions",
    "append_agent",
    "append_customer",
    "assign_waiting",
    "check_window",
    "close",
    "close_idle",
    "closing_reply",
    "get_awaiting_rating",
    "get_config",
    "get_open",
    "mark_consoles_seen",
    "open_key",
    "queue_position",
    "queue_sizes",
    "rate",
    "release_vanished",
    "request",
    "requeue_agent",
    "ticket_exists",
    "transfer",
    "window_left",
]
