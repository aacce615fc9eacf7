"""The local cluster's port plan and the HAProxy configuration rendered from its template."""

from __future__ import annotations

import subprocess
from pathlib import Path

from wxhub.cluster import SERVICE_PORT_SETTINGS, ClusterPorts, render_haproxy


def test_base_port_plan_is_consecutive_and_never_overlaps() -> None:
    ports = ClusterPorts.plan(replicas=3, base_port=20000)
    assert ports.front == {
        "stats": 20000,
        "engine": 20001,
        "dispatcher": 20002,
        "admin_api": 20003,
        "gateway": 20004,
    }
    assert ports.balancer_stats == 20005
    assert sorted(ports.sandboxes.values()) == [20006, 20007, 20008]
    replicas = [p for group in ports.replicas.values() for p in group]
    assert all(len(group) == 3 for group in ports.replicas.values())
    everything = [*ports.front.values(), ports.balancer_stats, *ports.sandboxes.values()]
    everything += replicas
    assert len(set(everything)) == len(everything) == 5 + 1 + 3 + 15
    assert min(replicas) == 20010


def test_free_port_plan_has_distinct_ports() -> None:
    ports = ClusterPorts.plan(replicas=2)
    everything = [*ports.front.values(), ports.balancer_stats, *ports.sandboxes.values()]
    everything += [p for group in ports.replicas.values() for p in group]
    assert len(set(everything)) == len(everything) == 5 + 1 + 3 + 10


def test_rendered_config_balances_every_replica_and_haproxy_accepts_it(
    haproxy: str, tmp_path: Path
) -> None:
    ports = ClusterPorts.plan(replicas=2, base_port=21000)
    config = render_haproxy(ports)
    for service in SERVICE_PORT_SETTINGS:
        assert f"listen {service}\n    bind 127.0.0.1:{ports.front[service]}\n" in config
        for i, port in enumerate(ports.replicas[service], start=1):
            assert f"server {service}-{i} 127.0.0.1:{port}" in config
    assert "option httpchk GET /readyz" in config
    assert "bind 127.0.0.1:21005" in config

    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    path.write_text(config.replace("balance roundrobin", "balance nonsense", 1))
    broken = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert broken.returncode != 0
