"""``wxhub`` command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wxhub`` script."""
    parser = argparse.ArgumentParser(prog="wxhub", description="WeChat Official Account platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run everything in one process on the embedded default")
    serve = commands.add_parser("serve", help="run one service on its configured connections")
    serve.add_argument("service", choices=["gateway", "engine", "dispatcher", "admin_api", "stats"])
    cluster = commands.add_parser(
        "cluster",
        help="production wiring here: replicas behind HAProxy on RabbitMQ, PostgreSQL and Redis",
    )
    cluster.add_argument("--replicas", type=int, default=2, help="processes per service")
    cluster.add_argument(
        "--base-port", type=int, help="listen on consecutive ports from here (default: free ports)"
    )
    cluster.add_argument("--database-url", help="PostgreSQL database (created when missing)")
    cluster.add_argument("--amqp-url", help="RabbitMQ")
    cluster.add_argument("--redis-url", help="Redis")
    cluster.add_argument("--namespace", help="prefix of queues, exchanges and Redis keys")
    commands.add_parser("migrate", help="apply database migrations (WXHUB_DATABASE_URL)")
    commands.add_parser("seed", help="migrate and load the demo data (refused when WXHUB_ENV=prod)")
    commands.add_parser("env-example", help="print every WXHUB_* setting with its default")
    commands.add_parser(
        "rotate-secrets",
        help="re-encrypt stored secrets under WXHUB_SECRET_KEY (old: WXHUB_PREVIOUS_SECRET_KEYS)",
    )
    export = commands.add_parser(
        "stats-export", help="write one UTC day of raw stats events to stdout (before retention)"
    )
    export.add_argument("day", type=date.fromisoformat, help="the day, YYYY-MM-DD (UTC)")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    create = commands.add_parser(
        "create-admin",
        help="create an administrator (asks, or reads WXHUB_ADMIN_USERNAME/WXHUB_ADMIN_PASSWORD)",
    )
    create.add_argument("--username", help="login name (default: WXHUB_ADMIN_USERNAME, or asked)")
    create.add_argument("--display-name", default="", help="name shown in the admin app")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    args = parser.parse_args(argv)
    if args.command == "create-admin":
        return _create_admin(args)
    if args.command == "cluster":
        return _cluster(args)
    if args.command == "env-example":
        from wxhub.env_example import render

        sys.stdout.write(render())
        return 0

    if args.command == "stats-export":
        import asyncio

        from wxhub.stats_export import write_day

        asyncio.run(write_day(args.day, args.format, sys.stdout))
        return 0

    from libs.common.serving import run

    if args.command == "dev":
        from wxhub.dev import DemoRefused, run_dev

        try:
            run(run_dev())
        except DemoRefused as exc:
            print(f"wxhub dev: {exc}", file=sys.stderr)
            return 2
    elif args.command == "serve":
        from wxhub.serve import serve_one

        return serve_one(args.service)
    elif args.command == "migrate":
        from libs.common.db.migrate import upgrade
        from libs.common.settings import CommonSettings

        upgrade(CommonSettings().database_url)
    elif args.command == "seed":
        from libs.common.settings import CommonSettings
        from wxhub.dev import DemoRefused, seed

        try:
            run(seed(CommonSettings()))
        except DemoRefused as exc:
            print(f"wxhub seed: {exc}", file=sys.stderr)
            return 2
    elif args.command == "rotate-secrets":
        import asyncio

        from libs.common.secret_box import SecretBox
        from libs.common.settings import CommonSettings
        from wxhub.rotate import rotate_secrets

        settings = CommonSettings()
        box = SecretBox(settings.secret_key, settings.previous_secret_keys)
        count = asyncio.run(rotate_secrets(settings.database_url, box))
        print(f"re-encrypted {count} stored secrets under the current key")
    return 0


def _cluster(args: argparse.Namespace) -> int:
    """Flags win over WXHUB_CLUSTER_* variables, which win over the local servers' defaults."""
    from wxhub.cluster import ClusterOptions, run

    options = ClusterOptions(replicas=args.replicas, base_port=args.base_port)
    for flag, name in [
        ("database_url", "database_url"),
        ("amqp_url", "amqp_url"),
        ("redis_url", "redis_url"),
        ("namespace", "bus_namespace"),
    ]:
        value = getattr(args, flag) or os.environ.get(f"WXHUB_CLUSTER_{flag.upper()}")
        if value:
            setattr(options, name, value)
    if args.base_port is None and os.environ.get("WXHUB_CLUSTER_BASE_PORT"):
        options.base_port = int(os.environ["WXHUB_CLUSTER_BASE_PORT"])
    return run(options)


def _create_admin(args: argparse.Namespace) -> int:
    """Flags and environment for automation; questions on a terminal otherwise."""
    from libs.common.serving import run
    from libs.common.settings import CommonSettings
    from wxhub.admins import AdminNotCreated, CreatedAdmin, check_password, create_admin

    interactive = sys.stdin.isatty() and not args.password_stdin
    username = args.username or os.environ.get("WXHUB_ADMIN_USERNAME", "")
    password = os.environ.get("WXHUB_ADMIN_PASSWORD", "")
    try:
        if not username:
            if not interactive:
                raise AdminNotCreated("give --username or WXHUB_ADMIN_USERNAME")
            username = input("username: ").strip()
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif not password:
            if not interactive:
                raise AdminNotCreated("give WXHUB_ADMIN_PASSWORD or --password-stdin")
            password = getpass.getpass("password: ")
            check_password(password)
            if getpass.getpass("password again: ") != password:
                raise AdminNotCreated("the passwords differ")
        created: list[CreatedAdmin] = []

        async def create() -> None:
            settings = CommonSettings()
            created.append(
                await create_admin(settings, username, password, display_name=args.display_name)
            )

        run(create())
    except AdminNotCreated as exc:
        print(f"wxhub create-admin: {exc}", file=sys.stderr)
        return 2
    admin = created[0]
    print(
        f"wxhub create-admin: created {admin.username!r} (id {admin.user_id}), role "
        f"{admin.role_code} in organisation {admin.org_code}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
