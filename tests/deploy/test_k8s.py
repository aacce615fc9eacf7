"""deploy/k8s passes a production review that a machine can check.

Built-in kinds are validated (strict: unknown fields are errors) against the Kubernetes API
schemas kubernetes-validate ships, offline. Operator kinds (KEDA, Prometheus Operator, RabbitMQ
Cluster Operator, CloudNativePG) have no schema there; the checks below assert what matters in
them instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from libs.common.bus import default_topology

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"
OPERATOR_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("postgresql.cnpg.io/v1", "Cluster"),
}
WXHUB_DEPLOYMENTS = {
    "wxhub-gateway",
    "wxhub-engine",
    "wxhub-dispatcher",
    "wxhub-admin-api",
    "wxhub-stats",
}


def load() -> list[dict[str, Any]]:
    """Every object the kustomization applies."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    objects = []
    for resource in kustomization["resources"]:
        objects += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return objects


OBJECTS = load()


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in OBJECTS if o["kind"] == kind}


def test_every_file_in_the_folder_is_applied() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"} == listed


@pytest.mark.parametrize(
    "obj",
    [o for o in OBJECTS if (o["apiVersion"], o["kind"]) not in OPERATOR_KINDS],
    ids=lambda o: f"{o['kind']}/{o['metadata']['name']}",
)
def test_builtin_objects_match_the_kubernetes_schema(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_a_broken_object_is_caught() -> None:
    deployment = of_kind("Deployment")["wxhub-gateway"]
    broken = {**deployment, "spec": {**deployment["spec"], "replicaz": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_only_known_operator_kinds() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in OBJECTS}
    builtin = {k for k in kinds if "/" not in k[0] or k[0].split("/")[0].endswith(".k8s.io")}
    builtin |= {k for k in kinds if k[0] in {"apps/v1", "batch/v1", "autoscaling/v2", "policy/v1"}}
    assert kinds - builtin <= OPERATOR_KINDS


def test_pods_run_as_numeric_non_root_on_a_read_only_root() -> None:
    workloads = {**of_kind("Deployment"), **of_kind("StatefulSet")}
    assert set(of_kind("Deployment")) == WXHUB_DEPLOYMENTS
    for name, workload in workloads.items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert isinstance(pod["securityContext"]["runAsUser"], int), name
        assert pod["securityContext"]["runAsUser"] > 0, name
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])


def test_wxhub_pods_drain_and_migrate_first() -> None:
    for name, deployment in of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        (main,) = pod["containers"]
        assert main["lifecycle"]["preStop"]["sleep"]["seconds"] >= 5, name
        assert (
            pod["terminationGracePeriodSeconds"] > main["lifecycle"]["preStop"]["sleep"]["seconds"]
        )
        (migrate,) = pod["initContainers"]
        assert migrate["command"] == ["wxhub", "migrate"], name
        assert {m["mountPath"] for m in main["volumeMounts"]} >= {"/tmp"}, name
    # A Job's pod template is immutable: re-applying a changed one fails. Migrations are not Jobs.
    assert not of_kind("Job")


def test_exactly_one_autoscaler_owns_each_replica_count() -> None:
    owners: dict[str, list[str]] = {name: [] for name in WXHUB_DEPLOYMENTS}
    for name, hpa in of_kind("HorizontalPodAutoscaler").items():
        owners[hpa["spec"]["scaleTargetRef"]["name"]].append(f"hpa/{name}")
    for name, scaled in of_kind("ScaledObject").items():
        owners[scaled["spec"]["scaleTargetRef"]["name"]].append(f"keda/{name}")
    assert all(len(found) == 1 for found in owners.values()), owners
    for name, deployment in of_kind("Deployment").items():
        assert "replicas" not in deployment["spec"], f"{name} fights its autoscaler"


def test_engine_and_dispatcher_scale_on_the_queues_they_consume() -> None:
    queues = {q.name for q in default_topology().queues}
    scaled = of_kind("ScaledObject")
    assert set(scaled) == {"wxhub-engine", "wxhub-dispatcher"}
    consumed = {"wxhub-engine": {"engine.inbound"}, "wxhub-dispatcher": set()}
    consumed["wxhub-dispatcher"] = {"dispatcher.alert", "dispatcher.bulk"}
    auth = of_kind("TriggerAuthentication")
    for name, obj in scaled.items():
        triggers = [t for t in obj["spec"]["triggers"] if t["type"] == "rabbitmq"]
        assert {t["metadata"]["queueName"] for t in triggers} == consumed[name]
        assert consumed[name] <= queues
        for trigger in triggers:
            assert trigger["metadata"]["mode"] == "QueueLength"
            assert trigger["authenticationRef"]["name"] in auth
        assert obj["spec"]["minReplicaCount"] >= 2


def test_public_ingress_is_tls_for_callbacks_and_the_business_api_only() -> None:
    public = of_kind("Ingress")["wxhub-public"]["spec"]
    hosts = {h for tls in public["tls"] for h in tls["hosts"]}
    routes = set()
    for rule in public["rules"]:
        assert rule["host"] in hosts
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            routes.add((path["path"], backend["name"], backend["port"]["name"]))
    assert routes == {("/wechat", "wxhub-gateway", "http"), ("/api/v1", "wxhub-gateway", "http")}


def test_ops_ports_are_internal_only() -> None:
    policies = of_kind("NetworkPolicy")
    default = policies["default-deny-ingress"]["spec"]
    assert default["podSelector"] == {}
    assert default["policyTypes"] == ["Ingress"]
    deployments = of_kind("Deployment")
    for name in ("wxhub-gateway", "wxhub-admin-api"):
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert container["readinessProbe"]["httpGet"]["port"] == "ops"
        for rule in policies[name]["spec"]["ingress"]:
            allowed = {p["port"] for p in rule["ports"]}
            sources = {
                s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                for s in rule["from"]
            }
            if ports["ops"] in allowed:
                assert sources == {"monitoring"}, name
            else:
                assert allowed == {ports["http"]}, name


def test_every_service_is_scraped_and_the_rules_are_the_checked_ones() -> None:
    services = of_kind("Service")
    for name in WXHUB_DEPLOYMENTS:
        assert "metrics" in {p["name"] for p in services[name]["spec"]["ports"]}, name
        assert services[name]["metadata"]["labels"]["app.kubernetes.io/name"] == "wxhub"
    (monitor,) = of_kind("ServiceMonitor").values()
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "wxhub"}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    (rule,) = of_kind("PrometheusRule").values()
    rules_file = K8S.parent / "monitoring" / "prometheus-rules.yaml"
    assert rule["spec"] == yaml.safe_load(rules_file.read_text())


def test_data_services_are_replicated() -> None:
    (rabbit,) = of_kind("RabbitmqCluster").values()
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    (postgres,) = of_kind("Cluster").values()
    assert postgres["spec"]["instances"] == 3
    assert postgres["spec"]["minSyncReplicas"] >= 1
    redis = of_kind("StatefulSet")["wxhub-redis"]
    assert redis["spec"]["replicas"] == 3
    containers = {c["name"] for c in redis["spec"]["template"]["spec"]["containers"]}
    assert containers == {"redis", "sentinel"}
    config = of_kind("ConfigMap")["wxhub-config"]["data"]
    assert config["WXHUB_AMQP_QUEUE_TYPE"] == "quorum"
