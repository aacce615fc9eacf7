"""The moment every demo answer is ``as_of``, and the plain replies the endpoints share."""

from __future__ import annotations

from sandboxes.endpoint import Reply
from sandboxes.faults import JsonObject

AS_OF = "2025-06-30T15:00:00+08:00"


def not_found(error: str) -> Reply:
    """404 with ``{"error": error}``."""
    return Reply({"error": error}, "404", 404)


def ok(body: JsonObject) -> Reply:
    """200 with ``body``."""
    return Reply(body, "200")
