"""Human customer service (R-CS-1..4): per-account settings, sessions, transcripts, agents.

A session is ``queued`` → ``assigned`` → ``closed``; while it is not closed its ``open_key``
(``<account_id>:<openid>``) is set, and the unique constraint on it keeps one open session per
follower even when two engines handle two messages of the same follower at once. Transcripts
and the agents' feed are append-only: rows are added, never changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from libs.common.db.models._base import Base, Timestamped, utcnow

DEFAULT_KEYWORDS = ["人工", "转人工", "客服"]


class CsConfig(Timestamped, Base):
    """How one account routes followers to people: words, menu key, group, service hours."""

    __tablename__ = "cs_configs"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    # The agent group whose queue the account's sessions join.
    group: Mapped[str] = mapped_column(String(64), default="default")
    keywords: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_KEYWORDS))
    menu_key: Mapped[str] = mapped_column(String(64), default="CS")
    end_keyword: Mapped[str] = mapped_column(String(16), default="结束")
    message_keyword: Mapped[str] = mapped_column(String(16), default="留言")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # ISO weekday ("1" = Monday … "7") → ["HH:MM", "HH:MM"]; empty: open around the clock.
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "YYYY-MM-DD" days closed all day.
    holidays: Mapped[list[Any]] = mapped_column(default=list)
    off_hours_text: Mapped[str] = mapped_column(Text, default="")
    idle_timeout_s: Mapped[int] = mapped_column(default=600)


class CsSession(Base):
    """One conversation of a follower with people, from the request to the rating."""

    __tablename__ = "cs_sessions"
    __table_args__ = (Index("ix_cs_sessions_queue", "group", "state", "queued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    openid: Mapped[str] = mapped_column(String(64), index=True)
    group: Mapped[str] = mapped_column(String(64))
    # "queued" | "assigned" | "closed"
    state: Mapped[str] = mapped_column(String(16))
    open_key: Mapped[str | None] = mapped_column(String(96), unique=True, default=None)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"), index=True, default=None
    )
    # Put back by an agent going offline: served before everyone who queued normally.
    requeued: Mapped[bool] = mapped_column(default=False)
    # The place ("N ahead") the follower was last told.
    announced_ahead: Mapped[int | None] = mapped_column(default=None)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # "customer" | "agent" | "idle" | "supervisor" | "left" (unfollowed)
    close_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    # The customer's last message opens WeChat's 48-hour window for a few sends.
    last_customer_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_sends: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    # After close the follower may answer 1–5 until ``rating_until``.
    rating_until: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[int | None] = mapped_column(default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)


class CsMessage(Base):
    """One line of a transcript (append-only); ``id`` orders it."""

    __tablename__ = "cs_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("cs_sessions.id", ondelete="CASCADE"), index=True
    )
    # "customer" | "agent" | "system"
    sender: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The callback's dedup key (customer) or the outbound message id (agent, system): a
    # redelivered callback is not written twice.
    msg_id: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    # "text" | "image" | "voice" | "location" | "link" | "video" | "event"
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CsAgent(Base):
    """An admin user's seat: status, cap and groups."""

    __tablename__ = "cs_agents"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), primary_key=True
    )
    # "online" | "away" | "offline": only online agents get new sessions.
    status: Mapped[str] = mapped_column(String(16), default="offline")
    cap: Mapped[int] = mapped_column(default=10)
    groups: Mapped[list[Any]] = mapped_column(default=lambda: ["default"])
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    # Last time a console socket of the agent was open somewhere (refreshed by every admin_api
    # replica holding one); None: the agent never used the live console.
    console_seen_at: Mapped[datetime | None] = mapped_column(default=None)


class CsTicket(Base):
    """A message left outside service hours, for the next shift."""

    __tablename__ = "cs_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    openid: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    msg_id: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    # "open" | "done"
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_by: Mapped[int | None] = mapped_column(default=None)


class CsCannedReply(Timestamped, Base):
    """A prepared answer: of an account (``owner_id`` empty) or of one agent."""

    __tablename__ = "cs_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True, default=None
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)


class CsFeedItem(Base):
    """Something an agent's console must show (assignment, customer message, close), kept so a
    console that reconnects gets what it missed: ``id`` is the cursor."""

    __tablename__ = "cs_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(index=True)
    # "assigned" | "message" | "closed" | "transferred_away"
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
