"""Helpers shared by the whole test suite (fixtures stay in conftest.py)."""

from __future__ import annotations

import os


def in_ci() -> bool:
    """True when running under CI, where real servers are mandatory."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
