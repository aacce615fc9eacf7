"""Applications of prospects (R-EN-8): their statuses and how a status may change.

A follower applies on ``/h5/apply`` (the gateway stores the row as ``submitted``); staff move it
on through the admin API; "进度" in chat shows it (the engine). Everyone reads the statuses and
the transitions here::

    submitted ──▶ reviewing ──▶ approved
        │             │    └──▶ rejected
        └─────────────┴───────▶ withdrawn
    (submitted may also go straight to approved or rejected)

``approved``, ``rejected`` and ``withdrawn`` are final.
"""

from __future__ import annotations

from datetime import timedelta

from libs.common.db.models import Application

SUBMITTED = "submitted"
REVIEWING = "reviewing"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

# The statuses in the order an application passes them (lists and choices follow it).
ORDER = (SUBMITTED, REVIEWING, APPROVED, REJECTED, WITHDRAWN)
# Status → how the applicant reads it in chat.
STATUS_LABELS: dict[str, str] = {
    SUBMITTED: "已提交，等待受理",
    REVIEWING: "审核中",
    APPROVED: "已通过",
    REJECTED: "未通过",
    WITHDRAWN: "已撤销",
}
TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({REVIEWING, APPROVED, REJECTED, WITHDRAWN}),
    REVIEWING: frozenset({APPROVED, REJECTED, WITHDRAWN}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
}
# Applications still in progress (a second one for the same product is refused meanwhile).
OPEN_STATUSES = frozenset({SUBMITTED, REVIEWING})

_BEIJING = timedelta(hours=8)


class TransitionRefused(ValueError):
    """The status cannot move from where it is to where it was asked to go."""


def can_move(current: str, target: str) -> bool:
    """Whether an application in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def next_statuses(current: str) -> list[str]:
    """Where an application in ``current`` may move, in workflow order."""
    allowed = TRANSITIONS.get(current, frozenset())
    return [status for status in ORDER if status in allowed]


def move(application: Application, target: str, note: str) -> None:
    """Set the new status and note; raises :class:`TransitionRefused` if not allowed."""
    if not can_move(application.status, target):
        raise TransitionRefused(f"{application.status} cannot move to {target}")
    application.status = target
    application.status_note = note


def status_notice(application: Application) -> str:
    """What the applicant is told in chat when staff moved the status on."""
    lines = [
        f"您的{application.product_name}申请（编号 {reference(application)}）有新进度："
        f"{STATUS_LABELS.get(application.status, application.status)}。"
    ]
    if application.status_note:
        lines.append(f"说明：{application.status_note}")
    lines.append("发送“进度”可随时查询。")
    return "\n".join(lines)


def reference(application: Application) -> str:
    """The number the applicant is told: ``AP`` + Beijing date + id (``AP20261207000012``)."""
    day = (application.created_at + _BEIJING).strftime("%Y%m%d")
    return f"AP{day}{application.id:06d}"
