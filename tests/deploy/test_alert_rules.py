"""The alert rules behave as designed: ``promtool test rules`` on the unit tests in
deploy/monitoring/tests, run here so a broken rule fails the test suite, not only
``make check-deploy``.

The heartbeat alert is the reason (``heartbeat_test.yaml``): judged per scraped target from the
gauge each instance sets itself, a frozen replica pages (its scrape fails while it is still
discovered), a replica whose beat loop stopped pages (its gauge grows old), and a replica that
left discovery (scaled in, rescheduled) stops paging once its series go stale. That depends on
the scrape keeping the target's own ``job``/``instance`` labels, which is asserted too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
RULES = MONITORING / "prometheus-rules.yaml"
RULE_TESTS = sorted((MONITORING / "tests").glob("*.yaml"))


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """promtool with ``args`` in deploy/monitoring/tests (where the rule files are relative to)."""
    return subprocess.run(
        [promtool, *args],
        cwd=MONITORING / "tests",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_rules_file_is_valid(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_unit_tests_pass(promtool: str) -> None:
    assert any(path.name == "heartbeat_test.yaml" for path in RULE_TESTS)
    result = run(promtool, "test", "rules", *(path.name for path in RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


def test_a_broken_heartbeat_rule_fails_its_unit_test(promtool: str, tmp_path: Path) -> None:
    # The heartbeat gauge alone: a frozen replica fails its scrapes, its series go stale, and
    # nothing pages. promtool must catch that, or the unit test proves nothing.
    rules: dict[str, Any] = yaml.safe_load(RULES.read_text())
    for rule in rules["groups"][0]["rules"]:
        if rule.get("alert") == "WxhubHeartbeatMissing":
            rule["expr"] = 'time() - wxhub_heartbeat_sent_timestamp_seconds{job=~"wxhub-.+"} > 30'
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "prometheus-rules.yaml").write_text(yaml.safe_dump(rules))
    (tmp_path / "tests").mkdir()
    test = tmp_path / "tests" / "heartbeat_test.yaml"
    original = (MONITORING / "tests" / "heartbeat_test.yaml").read_text()
    test.write_text(original.replace("../prometheus-rules.yaml", "../rules/prometheus-rules.yaml"))
    result = subprocess.run(
        [promtool, "test", "rules", test.name],
        cwd=test.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert "WxhubHeartbeatMissing" in result.stdout + result.stderr


def test_every_paging_alert_has_a_unit_test() -> None:
    rules = yaml.safe_load(RULES.read_text())
    paging = {
        rule["alert"]
        for group in rules["groups"]
        for rule in group["rules"]
        if rule.get("labels", {}).get("severity") == "page"
    }
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert paging
    assert paging <= tested, f"paging alerts without a promtool test: {sorted(paging - tested)}"


def test_scrapes_keep_the_targets_own_labels() -> None:
    # honor_labels would let a scraped series name its own job/instance: the heartbeat alert
    # then no longer follows the target's discovery.
    compose = yaml.safe_load((REPO / "deploy" / "compose" / "prometheus.yml").read_text())
    assert all(not job.get("honor_labels", False) for job in compose["scrape_configs"])
    monitors = [
        doc
        for doc in yaml.safe_load_all((REPO / "deploy" / "k8s" / "monitoring.yaml").read_text())
        if doc and doc["kind"] == "ServiceMonitor"
    ]
    assert monitors
    for monitor in monitors:
        assert all(not e.get("honorLabels", False) for e in monitor["spec"]["endpoints"])
