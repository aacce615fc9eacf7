"""Structured logs (structlog) with the request/message id carried in a context variable."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route stdlib and structlog output through one renderer (JSON in production)."""
    global _configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    if not _configured:
        logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(name)s %(message)s")
        # Access logs would cost more than the request itself on the callback hot path.
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
        logging.getLogger("aiormq").setLevel(logging.WARNING)
        logging.getLogger("aio_pika").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        _configured = True


def get_logger(name: str) -> Any:
    """A structlog logger named after the module."""
    return structlog.get_logger(name)


def bind_ids(**ids: str | None) -> None:
    """Attach ids (message_id, correlation_id, account…) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v})


def clear_ids() -> None:
    """Forget the ids bound by :func:`bind_ids` (end of a request or message)."""
    structlog.contextvars.clear_contextvars()
