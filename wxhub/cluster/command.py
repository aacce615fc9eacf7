"""The ``wxhub cluster`` command: start, print the URLs, report what exits, stop on a signal."""

from __future__ import annotations

import signal
import sys
import time

from wxhub.cluster.errors import ClusterError
from wxhub.cluster.lifecycle import Cluster
from wxhub.cluster.options import ClusterOptions


def run(options: ClusterOptions) -> int:
    """Start, print the URLs, serve until Ctrl-C/SIGTERM, stop; exit status for the CLI."""
    # SIGTERM unwinds like Ctrl-C, so both stop the cluster in order.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cluster = Cluster(options)
    reported: set[str] = set()
    try:
        print("wxhub cluster: starting (database, sandboxes, replicas, balancer)", flush=True)
        cluster.start()
        print(cluster.banner(), flush=True)
        while True:
            time.sleep(1.0)
            for name in set(cluster.exited()) - reported:
                reported.add(name)
                print(f"wxhub cluster: {name} exited; see {cluster.log_dir}", flush=True)
    except ClusterError as exc:
        print(f"wxhub cluster: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("wxhub cluster: stopping", flush=True)
    finally:
        statuses = cluster.stop()
    unclean = {name: code for name, code in statuses.items() if code != 0}
    if unclean:
        print(f"wxhub cluster: stopped; not cleanly: {unclean}", file=sys.stderr, flush=True)
        return 1
    print("wxhub cluster: stopped", flush=True)
    return 0
