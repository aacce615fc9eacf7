"""``wxhub`` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wxhub`` script."""
    parser = argparse.ArgumentParser(prog="wxhub", description="WeChat Official Account platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run everything in one process on the embedded default")
    serve = commands.add_parser("serve", help="run one service on its configured connections")
    serve.add_argument("service", choices=["gateway", "engine", "dispatcher", "admin_api", "stats"])
    commands.add_parser("migrate", help="apply database migrations (WXHUB_DATABASE_URL)")
    commands.add_parser("seed", help="migrate and load the demo data")
    args = parser.parse_args(argv)

    from libs.common.serving import run

    if args.command == "dev":
        from wxhub.dev import run_dev

        run(run_dev())
    elif args.command == "serve":
        from wxhub.serve import serve_one

        return serve_one(args.service)
    elif args.command == "migrate":
        from libs.common.db.migrate import upgrade
        from libs.common.settings import CommonSettings

        upgrade(CommonSettings().database_url)
    elif args.command == "seed":
        from libs.common.settings import CommonSettings
        from wxhub.dev import seed

        run(seed(CommonSettings()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
