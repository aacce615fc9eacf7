"""Counting what reached people, from the sandboxes' logs only (never the platform's status).

Every message the load sends has a recipient of its own (a unique openid, and for notifications a
unique phone), so whatever the WeChat API and SMS sandboxes recorded is attributed by recipient.
A message is *delivered* once (a passive reply, a WeChat message or an SMS), *sent twice* when the
recipient got more than one, *failed* when nothing was sent and a sandbox refused it for good
(the reason is the refusal), and *lost* when it was accepted and nothing came of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# WeChat refusals that end a message which may not fall back (the recipient cannot get it).
PERMANENT_ERRCODES = frozenset({40003, 43004, 43019, 43101})


@dataclass
class Sent:
    """One message the load submitted, and what its sender saw."""

    phase: int
    kind: str  # "notification" or "callback"
    openid: str
    phone: str | None = None
    fallback: str = "sms"
    accepted: bool = False
    passive_reply: bool = False
    refusal: str | None = None  # why the platform never accepted it


@dataclass
class Observed:
    """What the sandboxes recorded, folded per recipient."""

    wechat: Counter[str] = field(default_factory=Counter)
    sms: Counter[str] = field(default_factory=Counter)
    refusals: dict[str, str] = field(default_factory=dict)
    repeats: Counter[str] = field(default_factory=Counter)

    @classmethod
    def fold(
        cls,
        deliveries: Iterable[Mapping[str, Any]],
        wechat_calls: Iterable[Mapping[str, Any]],
        sms_messages: Iterable[Mapping[str, Any]],
        sms_calls: Iterable[Mapping[str, Any]],
    ) -> Observed:
        """From ``/__sandbox__/deliveries`` and ``/calls`` (WeChat) and ``/messages`` and
        ``/calls`` (SMS)."""
        seen = cls()
        for delivery in deliveries:
            touser = delivery.get("touser")
            if isinstance(touser, str):
                seen.wechat[touser] += 1
        for call in wechat_calls:
            body = call.get("body") or {}
            touser = body.get("touser") if isinstance(body, dict) else None
            if not isinstance(touser, str):
                continue
            errcode = call.get("errcode")
            if call.get("outcome") == "0":
                seen.repeats[touser] += 1
            elif isinstance(errcode, int) and errcode in PERMANENT_ERRCODES:
                seen.refusals[touser] = f"WeChat {errcode}"
        for message in sms_messages:
            phone = message.get("phone")
            if isinstance(phone, str):
                seen.sms[phone] += 1
        for call in sms_calls:
            body = call.get("body") or {}
            phone = body.get("phone") if isinstance(body, dict) else None
            if not isinstance(phone, str):
                continue
            if call.get("outcome") in ("ok", "duplicate"):
                seen.repeats[phone] += 1
            elif call.get("outcome") == "invalid":
                seen.refusals[phone] = "SMS invalid"
        # A repeat is a call beyond the first that the sandbox answered as a success.
        seen.repeats = Counter({k: n - 1 for k, n in seen.repeats.items() if n > 1})
        return seen


@dataclass
class Row:
    """One fault's line of the table."""

    fault: str
    accepted: int = 0
    delivered: int = 0
    sms_fallback: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    sent_twice: int = 0
    refused: int = 0
    resent: int = 0
    lost_examples: list[str] = field(default_factory=list)
    twice_examples: list[str] = field(default_factory=list)
    refused_examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing sent twice."""
        return self.lost == 0 and self.sent_twice == 0

    def add(self, other: Row) -> None:
        self.accepted += other.accepted
        self.delivered += other.delivered
        self.sms_fallback += other.sms_fallback
        self.failed.update(other.failed)
        self.lost += other.lost
        self.sent_twice += other.sent_twice
        self.refused += other.refused
        self.resent += other.resent
        self.lost_examples += other.lost_examples
        self.twice_examples += other.twice_examples
        self.refused_examples += other.refused_examples


def settled(sent: Sent, seen: Observed) -> bool:
    """Whether ``sent`` has an outcome in the logs (delivered, or refused for good)."""
    return _outcome(sent, seen)[0] != "lost"


def _outcome(sent: Sent, seen: Observed) -> tuple[str, str]:
    wechat = seen.wechat[sent.openid] + int(sent.passive_reply)
    sms = seen.sms[sent.phone] if sent.phone else 0
    if wechat + sms > 1:
        return "twice", f"{sent.openid}: WeChat {wechat}, SMS {sms}"
    if wechat:
        return "delivered", ""
    if sms:
        return "sms", ""
    if sent.phone and sent.fallback == "sms" and sent.phone in seen.refusals:
        return "failed", seen.refusals[sent.phone]
    if sent.fallback != "sms" and sent.openid in seen.refusals:
        return "failed", seen.refusals[sent.openid]
    return "lost", sent.openid


def tally(fault: str, sent: Iterable[Sent], seen: Observed) -> Row:
    """The row of one fault: its accepted messages classified by what the sandboxes saw."""
    row = Row(fault)
    for item in sent:
        if not item.accepted:
            row.refused += 1
            row.refused_examples.append(f"{item.kind} {item.openid}: {item.refusal}")
            continue
        row.accepted += 1
        row.resent += seen.repeats[item.openid] + (seen.repeats[item.phone] if item.phone else 0)
        outcome, detail = _outcome(item, seen)
        if outcome == "twice":
            row.sent_twice += 1
            row.twice_examples.append(detail)
        elif outcome == "delivered":
            row.delivered += 1
        elif outcome == "sms":
            row.sms_fallback += 1
        elif outcome == "failed":
            row.failed[detail] += 1
        else:
            row.lost += 1
            row.lost_examples.append(detail)
    return row


HEADER = (
    "fault",
    "accepted",
    "delivered",
    "SMS fallback",
    "failed (reason)",
    "lost",
    "sent twice",
    "refused",
    "resent (deduped)",
)
WIDTHS = (26, 9, 10, 13, 24, 6, 11, 8, 16)


def _cells(row: Row) -> tuple[str, ...]:
    failed = ", ".join(f"{n} {reason}" for reason, n in sorted(row.failed.items())) or "0"
    return (
        row.fault,
        str(row.accepted),
        str(row.delivered),
        str(row.sms_fallback),
        failed,
        str(row.lost),
        str(row.sent_twice),
        str(row.refused),
        str(row.resent),
    )


def format_line(cells: tuple[str, ...]) -> str:
    parts = [cells[0].ljust(WIDTHS[0])]
    parts += [cell.rjust(width) for cell, width in zip(cells[1:], WIDTHS[1:], strict=True)]
    return "| " + " | ".join(parts) + " |"


def header_lines() -> list[str]:
    return [format_line(HEADER), format_line(tuple("-" * w for w in WIDTHS))]


def format_row(row: Row) -> str:
    return format_line(_cells(row))
