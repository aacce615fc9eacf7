"""The agents' side of customer service: status, accept, send, transfer, close.

Each operation runs in its own transaction and publishes the workflow's effects (notices to the
follower, ``cs.*`` events, console pushes) only after it committed, so a rolled-back change never
reaches a customer. Who may touch a session: its agent; a supervisor (``cs.supervise``) any
session of an account in their scope; an agent may accept a queued session of their groups.

::

    transaction  one change on the request's session: commit, then publish its effects
    access       which sessions a caller may see, and which they own
    seats        an agent's status, and the consoles this replica holds
    handling     accept, transfer, close
    sending      a text or an image to the follower, inside WeChat's window
"""

from __future__ import annotations

from services.admin_api.console.access import SUPERVISE, visible_session
from services.admin_api.console.handling import accept, close, transfer
from services.admin_api.console.seats import Status, set_status, watch_consoles
from services.admin_api.console.sending import Outgoing, send, send_image

__all__ = [
    "SUPERVISE",
    "Outgoing",
    "Status",
    "accept",
    "close",
    "send",
    "send_image",
    "set_status",
    "transfer",
    "visible_session",
    "watch_consoles",
]
