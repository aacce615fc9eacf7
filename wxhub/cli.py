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
    commands.add_parser(
        "rotate-secrets",
        help="re-encrypt stored secrets under WXHUB_SECRET_KEY (old: WXHUB_PREVIOUS_SECRET_KEYS)",
    )
    args = parser.parse_args(argv)

    from libs.common.serving import run

    if args.command == "dev":
        from wxhub.dev import run_dev

        run(run_dev())
    elif args.command == "serve":
        from wxhub.serve import serve_one

        run(serve_one(args.service))
    elif args.command == "migrate":
        from libs.common.db.migrate import upgrade
        from libs.common.settings import CommonSettings

        upgrade(CommonSettings().database_url)
    elif args.command == "seed":
        from libs.common.settings import CommonSettings
        from wxhub.dev import seed

        run(seed(CommonSettings()))
    elif args.command == "rotate-secrets":
        import asyncio

        from libs.common.secret_box import SecretBox
        from libs.common.settings import CommonSettings
        from wxhub.rotate import rotate_secrets

        settings = CommonSettings()
        box = SecretBox(settings.secret_key, settings.previous_secret_keys)
        count = asyncio.run(rotate_secrets(settings.database_url, box))
        print(f"re-encrypted {count} stored secrets under the current key")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
