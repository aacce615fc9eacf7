"""What the local cluster connects to, how many replicas it runs and where it keeps its logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wxhub.processes import REPO_ROOT


@dataclass
class ClusterOptions:
    """What the cluster connects to and where it keeps its logs."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/wxhub_cluster"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    redis_url: str = "redis://127.0.0.1:6379/0"
    bus_namespace: str = "cluster."
    replicas: int = 2
    base_port: int | None = None
    workdir: Path = field(default_factory=lambda: REPO_ROOT / "var" / "cluster")
    host: str = "127.0.0.1"
    # Local test value, like every demo credential (WXHUB_ENV stays dev: demo data is loaded).
    secret_key: str = "wxhub-local-cluster-secret-not-for-production"
    ready_timeout_s: float = 60.0
    extra_env: dict[str, str] = field(default_factory=dict)
