"""The environment every process of the cluster runs with: its servers, the sandboxes' URLs."""

from __future__ import annotations

import os

from wxhub.cluster.options import ClusterOptions
from wxhub.cluster.ports import SANDBOX_PORT_SETTINGS, ClusterPorts


def cluster_environment(options: ClusterOptions, ports: ClusterPorts) -> dict[str, str]:
    """The caller's environment without its ``WXHUB_*`` variables, then the cluster's own."""
    o = options
    sandbox = {s: ports.sandboxes[s] for s in SANDBOX_PORT_SETTINGS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    env.update(
        {
            "WXHUB_HOST": o.host,
            "WXHUB_DATABASE_URL": o.database_url,
            "WXHUB_AMQP_URL": o.amqp_url,
            "WXHUB_REDIS_URL": o.redis_url,
            "WXHUB_BUS_NAMESPACE": o.bus_namespace,
            "WXHUB_RATE_LIMIT_REPLICAS": str(o.replicas),
            "WXHUB_SECRET_KEY": o.secret_key,
            "WXHUB_WECHAT_API_BASE": f"http://{o.host}:{sandbox['wechat_sandbox_port']}",
            "WXHUB_WECHAT_OAUTH_BASE": f"http://{o.host}:{sandbox['wechat_sandbox_port']}",
            "WXHUB_SMS_URL": f"http://{o.host}:{sandbox['sms_sandbox_port']}/send",
            "WXHUB_CORE_URL": f"http://{o.host}:{sandbox['core_sandbox_port']}",
            **{f"WXHUB_{s.upper()}": str(port) for s, port in sandbox.items()},
            **o.extra_env,
        }
    )
    return env
