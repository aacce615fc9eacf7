"""``python -m wxhub.chaos [--quick]``: the chaos suite; exit 1 on any loss or double send."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from wxhub.chaos.infra import InfraError
from wxhub.chaos.suite import FULL, QUICK, run
from wxhub.cluster import ClusterError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wxhub.chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the CI stage: short phases, low rate")
    parser.add_argument("--rate", type=float, help="notifications per second")
    parser.add_argument("--callback-rate", type=float, help="callbacks per second")
    parser.add_argument("--workdir", type=Path, help="directory for the servers' files and logs")
    parser.add_argument("--keep", action="store_true", help="keep the files and logs afterwards")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick or os.environ.get("WXHUB_CHAOS_QUICK") else FULL
    if args.rate:
        profile = dataclasses.replace(profile, notifications_per_s=args.rate)
    if args.callback_rate:
        profile = dataclasses.replace(profile, callbacks_per_s=args.callback_rate)
    try:
        return run(profile, workdir=args.workdir, keep=args.keep)
    except (InfraError, ClusterError) as exc:
        print(f"chaos: cannot run: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
