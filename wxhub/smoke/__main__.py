"""``python -m wxhub.smoke``: start ``wxhub dev`` on free ports, drive every front door once, stop.

Exit status 0 when every step passed, 1 otherwise (with the stack's log); bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from wxhub.smoke.errors import SmokeFailure
from wxhub.smoke.run import run_smoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wxhub.smoke", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--timeout", type=float, default=100.0, help="seconds for the whole run")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (database, log)"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wxhub-smoke-"))
    # A SIGTERM (CI's time limit, an operator's kill) unwinds like Ctrl-C, so wxhub dev is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_smoke(workdir, args.timeout, lambda line: print(line, flush=True))
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("smoke: interrupted", file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep:
            print(f"smoke: scratch folder kept at {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("smoke: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
