"""``python -m wxhub.smoke``: start ``wxhub dev`` on free ports, drive every front door once, stop.

What CI runs after the tests, and what an operator runs to see that a checkout works end to end:

1. ``wxhub dev`` (what ``make run`` starts) on free ports and a scratch SQLite file;
2. every service answers ``/readyz``;
3. a signed WeChat text callback, in plaintext and in AES, gets the engine's answer;
4. a signed business notification is accepted, reaches ``delivered``, shows up exactly once in
   the WeChat API sandbox's call log, and WeChat's delivery report (pushed by the sandbox)
   moves it to ``confirmed``;
5. the demo admin logs in to the admin API;
6. the stack stops on SIGTERM, cleanly (exit 0, no traceback in its log).

Exit status 0 when every step passed, 1 otherwise (with the stack's log); bounded by ``--timeout``.

- ``stack.py``: ``wxhub dev`` started on free ports, waited for, stopped;
- ``deadline.py``: the one time budget of a run; ``errors.py``: the failure of a step;
- ``business_api.py``: signed requests of the demo business system;
- ``checks.py``: the front doors' checks; ``run.py``: the steps in order;
- ``__main__.py``: the command.
"""

from wxhub.smoke.business_api import demo_notification, demo_signed
from wxhub.smoke.checks import (
    FINAL_STATUSES,
    REPORTED_STATUSES,
    check_admin_login,
    check_callback,
    check_notification,
)
from wxhub.smoke.deadline import Deadline
from wxhub.smoke.errors import SmokeFailure
from wxhub.smoke.run import run_smoke
from wxhub.smoke.stack import PORT_SETTINGS, SERVICE_PORTS, DevStack, dev_stack

__all__ = [
    "FINAL_STATUSES",
    "PORT_SETTINGS",
    "REPORTED_STATUSES",
    "SERVICE_PORTS",
    "Deadline",
    "DevStack",
    "SmokeFailure",
    "check_admin_login",
    "check_callback",
    "check_notification",
    "demo_notification",
    "demo_signed",
    "dev_stack",
    "run_smoke",
]
