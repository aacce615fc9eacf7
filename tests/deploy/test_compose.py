"""docker-compose.yml: valid against the Compose Specification and wired end to end.

No Docker engine is needed: the file is validated against the compose-spec JSON schema vendored
in deploy/compose, and its references (volumes, mounted files, scrape targets, balancer backends)
are checked against each other.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SCHEMA = json.loads((REPO / "deploy" / "compose" / "compose-spec.schema.json").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
WXHUB = {"gateway", "engine", "dispatcher", "admin-api", "stats"}
MODULES = {"gateway", "engine", "dispatcher", "admin_api", "stats"}
# "${NAME:-default}:container" or "127.0.0.1:${NAME:-default}:container"
HOST_PORT = re.compile(r"^(127\.0\.0\.1:)?\$\{WXHUB_[A-Z_]+:-\d+\}:\d+$")


def test_the_file_matches_the_compose_schema() -> None:
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(COMPOSE))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_schema_rejects_a_broken_file() -> None:
    broken = {**COMPOSE, "services": {**SERVICES, "gateway": {**SERVICES["gateway"], "portz": []}}}
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))


def test_every_wxhub_service_runs_twice_with_a_healthcheck() -> None:
    assert set(SERVICES) >= WXHUB
    commands = {SERVICES[name]["command"][-1].removeprefix("services.") for name in WXHUB}
    assert commands == MODULES
    for name in WXHUB:
        service = SERVICES[name]
        assert service["deploy"]["replicas"] == 2, name
        assert service["healthcheck"]["test"][:2] == ["CMD", "python"], name
        assert service["read_only"] is True, name
        assert "ports" not in service, f"{name} is reached through the balancer only"


def test_long_running_services_have_healthchecks_and_restart() -> None:
    for name, service in SERVICES.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name


def test_host_ports_are_configurable() -> None:
    published = [(name, p) for name, s in SERVICES.items() for p in s.get("ports", [])]
    assert published
    for name, port in published:
        assert HOST_PORT.match(port), f"{name}: {port} is not a ${{WXHUB_…:-default}} port"


def test_volumes_are_named_and_mounted_files_exist() -> None:
    declared = set(COMPOSE["volumes"])
    used = set()
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                used.add(source)
    assert used == declared
    assert {"pgdata", "rabbitmq-data", "prometheus-data", "grafana-data"} <= declared


def test_depends_on_names_existing_services() -> None:
    for name, service in SERVICES.items():
        assert set(service.get("depends_on", {})) <= set(SERVICES), name


def test_prometheus_scrapes_every_service_under_the_rules_job_names() -> None:
    config = yaml.safe_load((REPO / "deploy" / "compose" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {f"wxhub-{name}" for name in WXHUB} <= set(jobs)
    rules = (REPO / "deploy" / "monitoring" / "prometheus-rules.yaml").read_text()
    for name in WXHUB:
        (sd,) = jobs[f"wxhub-{name}"]["dns_sd_configs"]
        assert sd["names"] == [name]
        assert f'job="wxhub-{name}"' in rules
    mounts = SERVICES["prometheus"]["volumes"]
    assert any(m.startswith("./deploy/monitoring/prometheus-rules.yaml:") for m in mounts)
    assert config["rule_files"] == ["/etc/prometheus/rules/prometheus-rules.yaml"]


def test_grafana_provisions_the_dashboard_and_the_datasource() -> None:
    mounts = {m.split(":")[0]: m.split(":")[1] for m in SERVICES["grafana"]["volumes"]}
    provider = yaml.safe_load(
        (REPO / "deploy" / "compose" / "grafana" / "dashboards" / "wxhub.yaml").read_text()
    )
    (dashboards,) = provider["providers"]
    target = mounts["./deploy/monitoring/grafana-dashboard.json"]
    assert Path(target).parent == Path(dashboards["options"]["path"])
    datasources = yaml.safe_load(
        (REPO / "deploy" / "compose" / "grafana" / "datasources" / "prometheus.yaml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"


def test_balancer_config_is_valid_and_points_at_compose_services(
    haproxy: str, tmp_path: Path
) -> None:
    config = (REPO / "deploy" / "compose" / "haproxy.cfg").read_text()
    backends = re.findall(r"server-template \S+ \d+ ([\w-]+):(\d+)", config)
    assert {host for host, _ in backends} == {"gateway", "admin-api"}
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("setting", ["WXHUB_DATABASE_URL", "WXHUB_AMQP_URL", "WXHUB_REDIS_URL"])
def test_services_use_the_compose_servers(setting: str) -> None:
    env = SERVICES["gateway"]["environment"]
    host = {"WXHUB_DATABASE_URL": "@postgres:", "WXHUB_AMQP_URL": "@rabbitmq:"}.get(
        setting, "//redis:"
    )
    assert host in env[setting]
