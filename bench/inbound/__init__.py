"""``make bench-inbound``: wxhub's callback path side by side with a plain wechatpy server.

Starts one engine and one gateway process on RabbitMQ + PostgreSQL + Redis (the production wiring),
the peer (``bench.peers.wechatpy_callback``: wechatpy + FastAPI verifying, decrypting, parsing and
answering in one process) and the ceiling (``bench.ceiling``: a bare ASGI app answering a
constant), all three under the gateway's uvicorn settings. The load generator runs in this process
pinned to one core and sends pre-built signed callbacks (every one sent to wxhub a unique MsgId,
so none is a duplicate) for ``--seconds`` per run, closed loop.

The machine may be shared, so absolute figures drift: the three servers run in alternating rounds
(ceiling, peer, wxhub, then the reverse order), plaintext and AES, and the figures are medians
over ``--rounds`` with the ratio wxhub/peer taken within each round. CPU ms per callback comes
from /proc for every process on the path; RabbitMQ and Redis serve other work too, so their
background rate, measured while the peer runs, is subtracted. A last fixed-rate run checks
wxhub's latency at ``--rate`` (default: 80 % of its measured maximum).

``--baseline DIR`` adds a second wxhub (gateway and engine) run from another source tree, e.g.
``git worktree add /tmp/wxhub-before HEAD~1``, to the same alternating rounds and prints the ratio
wxhub/baseline: the way to tell whether a change moved the figures on a loaded machine.

    python -m bench.inbound [--rounds 3] [--seconds 4] [--concurrency 32] [--rate 0]
                            [--baseline DIR]
"""

from bench.inbound.measure import broker_pids, cpu_seconds
from bench.inbound.processes import wait_listening
from bench.inbound.report import median

__all__ = ["broker_pids", "cpu_seconds", "median", "wait_listening"]
