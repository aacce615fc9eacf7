"""What a smoke step raises when it fails."""

from __future__ import annotations


class SmokeFailure(Exception):
    """A step of the smoke run did not do what it should."""
