"""``wxhub cluster``: production wiring on one machine.

Every service runs as ``replicas`` processes (``python -m services.<name>``) behind HAProxy on
loopback, on the local RabbitMQ, PostgreSQL (a database of its own, migrated and seeded with the
demo data by ``wxhub seed``) and Redis; the WeChat API, SMS and core-system sandboxes run as a
process of their own (``python -m sandboxes``). Ctrl-C or SIGTERM stops everything, the balancer
first, then the services in reverse start order.

- ``ports.py``: where everything listens (the balancer's fronts, the sandboxes, each replica);
- ``balancer.py``: HAProxy's configuration and binary;
- ``options.py``: what the cluster connects to; ``environment.py``: the variables its processes get;
- ``database.py``: the cluster's database, created when missing;
- ``lifecycle.py``: :class:`Cluster`, started, restarted replica by replica, stopped;
- ``banner.py``: the URLs an operator needs; ``command.py``: the ``wxhub cluster`` command.
"""

from wxhub.cluster.balancer import TEMPLATE, find_haproxy, render_haproxy
from wxhub.cluster.command import run
from wxhub.cluster.database import ensure_database
from wxhub.cluster.errors import ClusterError
from wxhub.cluster.lifecycle import Cluster
from wxhub.cluster.options import ClusterOptions
from wxhub.cluster.ports import (
    SANDBOX_PORT_SETTINGS,
    SERVICE_PORT_SETTINGS,
    ClusterPorts,
    port_is_free,
)

__all__ = [
    "SANDBOX_PORT_SETTINGS",
    "SERVICE_PORT_SETTINGS",
    "TEMPLATE",
    "Cluster",
    "ClusterError",
    "ClusterOptions",
    "ClusterPorts",
    "ensure_database",
    "find_haproxy",
    "port_is_free",
    "render_haproxy",
    "run",
]
