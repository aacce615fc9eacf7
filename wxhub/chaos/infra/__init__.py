"""Private RabbitMQ, PostgreSQL and Redis servers the chaos suite may stop and restart.

The machine's own servers are shared (other test runs, CI), so the suite never touches them: it
starts one server of each kind on free loopback ports, with every file in a temporary directory,
and removes them afterwards. RabbitMQ runs as a node of its own (``chaos-<port>@localhost``, its
own cookie, no plugins); PostgreSQL is a fresh ``initdb`` cluster (as the ``postgres`` user when
run by root, which PostgreSQL refuses to be); Redis keeps nothing on disk.

- ``redis_server.py``, ``postgres_cluster.py``, ``rabbitmq_node.py``: one server each;
- ``servers.py``: the three together in one temporary directory;
- ``processes.py``: running their tools, waiting for their ports, stopping them;
- ``errors.py``: what is raised when a server cannot be started, stopped or reached.
"""

from wxhub.chaos.infra.errors import InfraError
from wxhub.chaos.infra.postgres_cluster import PrivatePostgres
from wxhub.chaos.infra.rabbitmq_node import PrivateRabbit
from wxhub.chaos.infra.redis_server import PrivateRedis
from wxhub.chaos.infra.servers import PrivateServices

__all__ = ["InfraError", "PrivatePostgres", "PrivateRabbit", "PrivateRedis", "PrivateServices"]
