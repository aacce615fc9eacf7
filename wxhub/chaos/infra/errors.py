"""What the chaos suite's private servers raise."""

from __future__ import annotations


class InfraError(Exception):
    """A private server could not be started, stopped or reached."""
