"""The dashboard and the alert rules only name metrics the code defines.

A renamed metric leaves a panel blank and an alert silent without any error, so every
``wxhub_*`` name in a PromQL expression must match a prometheus_client definition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
DEFINITION = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"(wxhub_\w+)\"")
REFERENCE = re.compile(r"\bwxhub_\w+")
SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "Summary": ("", "_sum", "_count", "_created"),
}


def exposed_names() -> set[str]:
    """Every series name the code's metric definitions expose (what /metrics prints)."""
    names: set[str] = set()
    for source in [*REPO.glob("libs/**/*.py"), *REPO.glob("services/**/*.py")]:
        for kind, name in DEFINITION.findall(source.read_text()):
            base = name.removesuffix("_total") if kind == "Counter" else name
            names.update(base + suffix for suffix in SUFFIXES[kind])
    return names


def _dashboard_exprs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for value in node.values() for e in _dashboard_exprs(value)]
    if isinstance(node, list):
        return [e for item in node for e in _dashboard_exprs(item)]
    return []


def rule_exprs() -> list[str]:
    rules = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    return _dashboard_exprs(json.loads((MONITORING / "grafana-dashboard.json").read_text()))


def test_the_definitions_are_found() -> None:
    names = exposed_names()
    assert "wxhub_gateway_callbacks_total" in names
    assert "wxhub_heartbeat_sent_timestamp_seconds" in names
    assert "wxhub_gateway_callback_seconds_bucket" in names


def test_every_metric_the_rules_use_exists() -> None:
    exprs = rule_exprs()
    assert exprs
    missing = {name for expr in exprs for name in REFERENCE.findall(expr)} - exposed_names()
    assert not missing, f"alert rules name metrics no code defines: {sorted(missing)}"


def test_every_metric_the_dashboard_uses_exists() -> None:
    exprs = dashboard_exprs()
    assert exprs
    missing = {name for expr in exprs for name in REFERENCE.findall(expr)} - exposed_names()
    assert not missing, f"dashboard panels name metrics no code defines: {sorted(missing)}"
