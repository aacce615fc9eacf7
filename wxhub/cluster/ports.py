"""Where the local cluster listens: the balancer's front per service, its stats page, the
sandboxes and every replica."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from wxhub.ports import free_ports

# Start order: consumers before the gateway that feeds them (as in wxhub/services.py).
SERVICE_PORT_SETTINGS = {
    "stats": "stats_port",
    "engine": "engine_port",
    "dispatcher": "dispatcher_port",
    "admin_api": "admin_port",
    "gateway": "gateway_port",
}
SANDBOX_PORT_SETTINGS = ("wechat_sandbox_port", "sms_sandbox_port", "core_sandbox_port")
# With a base port: balancer listeners at base+0.., its stats page at base+5, the sandboxes at
# base+6..8, replicas from base+10.
_BALANCER_STATS_OFFSET = 5
_SANDBOX_OFFSET = 6
_REPLICA_OFFSET = 10


@dataclass(frozen=True)
class ClusterPorts:
    """Where everything listens: the balancer's front per service, and each replica."""

    front: dict[str, int]
    replicas: dict[str, list[int]]
    balancer_stats: int
    sandboxes: dict[str, int]

    @classmethod
    def plan(cls, replicas: int, base_port: int | None = None) -> ClusterPorts:
        """Consecutive ports from ``base_port``, or free ones when it is not given."""
        names = list(SERVICE_PORT_SETTINGS)
        if base_port is None:
            ports = iter(free_ports(len(names) * (replicas + 1) + 1 + len(SANDBOX_PORT_SETTINGS)))
            front = {name: next(ports) for name in names}
            stats = next(ports)
            sandboxes = {setting: next(ports) for setting in SANDBOX_PORT_SETTINGS}
            replica_ports = {name: [next(ports) for _ in range(replicas)] for name in names}
            return cls(front, replica_ports, stats, sandboxes)
        replica_base = base_port + _REPLICA_OFFSET
        return cls(
            front={name: base_port + i for i, name in enumerate(names)},
            replicas={
                name: [replica_base + i * replicas + r for r in range(replicas)]
                for i, name in enumerate(names)
            },
            balancer_stats=base_port + _BALANCER_STATS_OFFSET,
            sandboxes={
                setting: base_port + _SANDBOX_OFFSET + i
                for i, setting in enumerate(SANDBOX_PORT_SETTINGS)
            },
        )

    def every_port(self) -> list[int]:
        """Every port of the plan: fronts, the stats page, the sandboxes, then the replicas."""
        nested = [*self.front.values(), self.balancer_stats, *self.sandboxes.values()]
        return nested + [port for ports in self.replicas.values() for port in ports]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
