"""What ``wxhub cluster`` prints once it is running: the URLs an operator needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wxhub.demo.account import DEMO

if TYPE_CHECKING:
    from wxhub.cluster.lifecycle import Cluster


def banner(cluster: Cluster) -> str:
    """The URLs an operator needs, with the demo's test credentials."""
    options = cluster.options
    lines = [
        "",
        f"wxhub cluster is running: {options.replicas} replicas of every service behind "
        "HAProxy, on RabbitMQ, PostgreSQL and Redis",
        f"  WeChat callback URL   {cluster.url('gateway')}/wechat/{DEMO.code}",
        f"    Token               {DEMO.token}   (test value)",
        f"  business API          {cluster.url('gateway')}/api/v1  (docs: /docs)",
        "    system / secret     demo-core / demo-core-secret-not-real   (test values)",
        f"  admin API + SPA       {cluster.url('admin_api')}/",
        f"  stats                 {cluster.url('stats')}/",
        f"  engine                {cluster.url('engine')}/healthz",
        f"  dispatcher            {cluster.url('dispatcher')}/healthz",
        f"  balancer stats        {cluster.balancer_stats_url}",
        f"  WeChat API sandbox    {cluster.sandbox_url('wechat_sandbox_port')}/__sandbox__/calls",
        f"  SMS sandbox           {cluster.sandbox_url('sms_sandbox_port')}/__sandbox__/calls",
        f"  database / bus        {options.database_url}  namespace {options.bus_namespace!r}",
        f"  logs                  {cluster.log_dir}",
        "  replicas:",
    ]
    lines += [f"    {r.name:<11} {r.url}  pid {r.process.pid}" for r in cluster.all_replicas()]
    lines += ["  Ctrl-C stops everything", ""]
    return "\n".join(lines)
