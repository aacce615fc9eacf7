"""HAProxy in front of the replicas: its configuration, rendered from the template, and its
binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from string import Template

from wxhub.cluster.errors import ClusterError
from wxhub.cluster.ports import ClusterPorts

TEMPLATE = Path(__file__).parents[1] / "templates" / "haproxy.cfg"


def render_haproxy(ports: ClusterPorts, host: str = "127.0.0.1") -> str:
    """The balancer's configuration: one listener per service over its replicas."""
    sections = []
    for service, replica_ports in ports.replicas.items():
        servers = "\n".join(
            f"    server {service}-{i + 1} {host}:{port}" for i, port in enumerate(replica_ports)
        )
        sections.append(
            f"\nlisten {service}\n"
            f"    bind {host}:{ports.front[service]}\n"
            "    balance roundrobin\n"
            f"{servers}\n"
        )
    return Template(TEMPLATE.read_text()).substitute(
        host=host, stats_port=ports.balancer_stats, listeners="".join(sections)
    )


def find_haproxy() -> str:
    """The ``haproxy`` binary (Debian installs it in /usr/sbin, often not on a user's PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
    found = shutil.which("haproxy", path=path)
    if found is None:
        raise ClusterError("haproxy is not installed (Debian: apt-get install haproxy)")
    return found
