"""What the local cluster raises when it cannot start."""

from __future__ import annotations


class ClusterError(Exception):
    """The cluster could not be started (a part is missing, failed or not ready in time)."""
