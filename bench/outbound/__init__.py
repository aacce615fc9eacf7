"""``python -m bench.outbound``: business API → RabbitMQ → dispatcher → WeChat sandbox.

Runs on PostgreSQL (a fresh ``<database>_bench`` next to ``WXHUB_TEST_DATABASE_URL``) and the
RabbitMQ of ``WXHUB_TEST_AMQP_URL``, with the sandboxes, one gateway and one dispatcher as child
processes. Notifications are submitted through ``POST /api/v1/notifications:batch`` (HMAC-signed
as system ``demo-core``), ``--batch`` items per call, paced at ``--rate`` per second (0: as fast
as the gateway takes them); ``--direct`` inserts rows and publishes ``OutboundRequested`` from
here instead. Two runs of ``--count``: all WeChat calls succeed; then ``--fail-percent`` of
template sends answer 43101 (user refuses: a verdict, so those fall back to SMS). Prints accepted/s,
delivered/s (terminal, end to end), p50/p99 from acceptance to the terminal status event, the
fallbacks and their latency, and CPU ms per notification of each process (from /proc, so the
figure is not distorted by other load on the machine). The unpaced clean run is the maximum
delivered/s, closed loop. ``--pg-stats`` adds WAL bytes and SQL statements per notification.

First, the single-POST comparison: ``POST /api/v1/notifications`` one at a time (closed loop,
``--single-concurrency`` connections) against the peer (``bench.peers.notifications_api``: plain
FastAPI + asyncpg + aio-pika verifying the same HMAC headers, inserting the row and publishing
with confirms on the same exchange, so the dispatcher delivers both). The machine may be shared,
so the two alternate for ``--single-rounds`` rounds of ``--single-seconds`` each (order reversed
every other round) and the figures are medians, with the ratio wxhub/peer taken within each round.
"""

from bench.outbound.meters import CpuMeter, PgMeter, pg_per_message, postgres_backends

__all__ = ["CpuMeter", "PgMeter", "pg_per_message", "postgres_backends"]
