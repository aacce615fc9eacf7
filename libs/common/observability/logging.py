"""Structured logs (structlog) with the request/message id carried in a context variable.

With ``json=True`` (``WXHUB_LOG_JSON=true``) every line a process writes to stderr is one JSON
object: our own events, the stdlib loggers of uvicorn, SQLAlchemy, Alembic and asyncio (through
one :class:`structlog.stdlib.ProcessorFormatter` on the root logger), warnings, and uncaught
exceptions (``sys.excepthook``), tracebacks as an ``exception`` field rather than loose lines.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

import structlog

_NOISY = ("aiormq", "aio_pika", "httpx", "httpcore")


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route stdlib and structlog output through one renderer (JSON in production)."""
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
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)
    # Libraries that configure their own handlers (uvicorn's defaults, alembic.ini) would write
    # plain text beside ours: theirs go, and their records reach the root handler instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic", "sqlalchemy"):
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    # Access logs are our own middleware's (opt-in, WXHUB_LOG_ACCESS); uvicorn's stay off.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric_level))
    logging.captureWarnings(True)
    if json:
        sys.excepthook = _log_uncaught


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    """An exception that ends the process, as one JSON line instead of a loose traceback."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
        return
    logging.getLogger("wxhub").critical("uncaught_exception", exc_info=(kind, value, traceback))


def get_logger(name: str) -> Any:
    """A structlog logger named after the module."""
    return structlog.get_logger(name)


def bind_ids(**ids: str | None) -> None:
    """Attach ids (message_id, correlation_id, account…) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v})


def clear_ids() -> None:
    """Forget the ids bound by :func:`bind_ids` (end of a request or message)."""
    structlog.contextvars.clear_contextvars()
