"""Pydantic models of every message on the bus, one module per exchange."""

from libs.common.schemas._envelope import Envelope, new_id, utcnow

__all__ = ["Envelope", "new_id", "utcnow"]
