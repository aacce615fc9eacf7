"""``make bench-cs``: human customer service at full size — 30 agents × 10 chats (R-PERF-2).

Starts the sandboxes, one gateway, one engine, one admin_api and one dispatcher as child processes
on PostgreSQL (a fresh ``<database>_benchcs`` next to ``WXHUB_TEST_DATABASE_URL``), the RabbitMQ
of ``WXHUB_TEST_AMQP_URL`` and the Redis of ``WXHUB_TEST_REDIS_URL``: the production wiring.

``--agents`` admin users with ``cs.agent`` (created in the database setup, cap ``--cap``) log in
through the admin API, open the console socket (``/api/v1/cs/ws``) and go online. Then
``--agents × --sessions`` followers ask for a person ("人工") as signed WeChat callbacks to the
gateway, spread over ``--ramp`` seconds; every one must get a seat. For ``--duration`` seconds each
follower sends a text every ``--interval`` seconds (random phase), and the agent answers every
message through ``POST /api/v1/cs/sessions/{id}/messages`` after a think time of up to
``--think`` seconds. Measured:

- customer → agent: callback POST sent → the message arrives on the agent's socket
  (gateway → RabbitMQ → engine → PostgreSQL → ``wx.cs`` → admin_api → WebSocket);
- agent → WeChat API: the REST send starts → the WeChat API sandbox accepts the
  ``message/custom/send`` call (admin_api → RabbitMQ → dispatcher → sandbox; the sandbox's
  delivery time, read from its control API, is on the same clock);
- lost: messages answered as accepted (callback 200, send 201) that never reached the other side:
  after the load the benchmark waits while the backlog still moves, until nothing arrived for
  ``--drain`` seconds; errors: requests not accepted.

Also prints CPU ms per customer message of each process (utime + stime from /proc) and the
machine's load average, which on a shared machine says how far to trust the absolute figures.

    python -m bench.cs [--agents 30] [--sessions 10] [--duration 60] [--interval 10]
"""

from bench.cs.cli import parser
from bench.cs.scenario import run

__all__ = ["parser", "run"]
