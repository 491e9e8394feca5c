"""Command line: `ducha serve | migrate | deploy | lint | test | scheduler | openapi | archive`."""

import argparse
import logging
import sys
from pathlib import Path

from app.config import get_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ducha` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("spiff").setLevel(logging.WARNING)  # the library logs eagerly
    handler = HANDLERS[args.command]
    return handler(args)


# Each process holds up to DUCHA_DB_POOL_SIZE + DUCHA_DB_MAX_OVERFLOW connections (20 by default):
# four stay well inside PostgreSQL's default max_connections (100).
MAX_AUTO_WORKERS = 4


def service_workers(
    requested: int | None, database_url: str, cores: int | None, watch: bool
) -> int:
    """How many service processes `ducha serve` runs.

    PostgreSQL: as asked, else one per core (Python runs one thread at a time per process; the
    processes share the database safely), at most `MAX_AUTO_WORKERS`. SQLite has one writer: its
    processes would wait on each other's locks, so it runs one and refuses more. `--watch` is a
    designer's single machine: one process watching `processes/`.
    """
    if requested is not None and requested < 1:
        raise ValueError("--workers must be at least 1")
    if database_url.startswith("sqlite"):
        if requested is not None and requested > 1:
            raise ValueError(
                "--workers > 1 needs PostgreSQL: SQLite has one writer, and its processes would "
                "wait on each other's locks"
            )
        return 1
    if requested is not None:
        return requested
    if watch:
        return 1
    return max(1, min(cores or 1, MAX_AUTO_WORKERS))


def build_parser() -> argparse.ArgumentParser:
    """The `ducha` command's arguments: one sub-command each."""
    parser = argparse.ArgumentParser(prog="ducha", description="Ducha (督查) workflow service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, deploy processes/ and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"service processes (default: one per core, at most {MAX_AUTO_WORKERS}, on "
        "PostgreSQL; 1 on SQLite and with --watch)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="load the demo unit tree and print demo users' tokens"
    )
    serve.add_argument(
        "--watch", action="store_true", help="deploy a changed diagram of processes/ at once"
    )
    commands.add_parser("migrate", help="alembic upgrade head on DUCHA_DATABASE_URL")
    token = commands.add_parser("token", help="mint an HS256 token for a user")
    token.add_argument("--sub", required=True)
    token.add_argument("--name")
    token.add_argument("--unit", required=True)
    token.add_argument("--roles", required=True, help="comma-separated roles")
    token.add_argument("--hours", type=float, default=12.0)
    load_units = commands.add_parser("units", help="load a unit tree from a CSV or JSON file")
    load_units.add_argument("file", type=Path)
    commands.add_parser("verify-audit", help="verify the audit trail's hash chain")
    commands.add_parser(
        "partitions", help="list the months of history and audit kept as partitions (PostgreSQL)"
    )
    archive = commands.add_parser(
        "archive",
        help="detach one month of history_events or audit_log (PostgreSQL); the audit chain "
        "keeps an anchor; the detached table stays for pg_dump unless --drop",
    )
    archive.add_argument("table", help="history_events or audit_log")
    archive.add_argument("month", help="YYYY-MM, before the current month")
    archive.add_argument("--drop", action="store_true", help="drop the month's table at once")
    commands.add_parser(
        "scheduler",
        help="run only the timer loop and the workers (for service processes run without them)",
    )
    deploy = commands.add_parser("deploy", help="deploy a directory of BPMN files (and forms/)")
    deploy.add_argument("directory", type=Path, nargs="?")
    lint = commands.add_parser(
        "lint",
        help="check BPMN files (and forms/ beside them) as deploy would, offline; exit 1 on errors",
    )
    lint.add_argument(
        "paths", type=Path, nargs="*", help=".bpmn files or folders (default: processes/)"
    )
    lint.add_argument(
        "--forms",
        type=Path,
        action="append",
        default=[],
        help="a folder of form files (repeatable)",
    )
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.add_argument(
        "--strict", action="store_true", help="exit 1 on warnings too (a CI that wants none)"
    )
    scenarios = commands.add_parser(
        "test",
        help="run the scenario files beside the diagrams (tests/*.yaml) with flow coverage; "
        "exit 1 on a failure",
    )
    scenarios.add_argument(
        "paths",
        type=Path,
        nargs="*",
        help="folders of .bpmn files (their tests/*.yaml run) or scenario files "
        "(default: processes/)",
    )
    scenarios.add_argument(
        "--forms", type=Path, action="append", default=[], help="a folder of form files"
    )
    scenarios.add_argument("--format", choices=["text", "json"], default="text")
    scenarios.add_argument(
        "--min-coverage",
        type=float,
        metavar="N",
        help="exit 1 when a diagram's sequence flows are covered below N percent",
    )
    openapi = commands.add_parser(
        "openapi", help="write the API's OpenAPI document as sorted JSON (the console's client)"
    )
    openapi.add_argument("--output", type=Path, help="a file to write; standard output without")
    return parser


DEMO_UNITS = Path(__file__).resolve().parent.parent / "data" / "units_demo.json"
DEMO_USERS = Path(__file__).resolve().parent.parent / "data" / "demo_users.json"


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    if args.watch:
        os.environ.setdefault("DUCHA_WATCH_PROCESSES", "true")
        get_settings.cache_clear()
    if args.demo:
        os.environ.setdefault("DUCHA_CONSOLE_DEMO", "true")  # the console offers the demo users
        os.environ.setdefault("DUCHA_UNITS_FILE", str(DEMO_UNITS))
        get_settings.cache_clear()
    settings = get_settings()
    try:
        workers = service_workers(args.workers, settings.database_url, os.cpu_count(), args.watch)
    except ValueError as exc:
        print(f"ducha serve: {exc}", file=sys.stderr)
        return 2
    print(
        f"Ducha on http://{args.host}:{args.port}/docs — database {settings.database_url}, "
        f"{workers} process{'es' if workers > 1 else ''}"
    )
    if args.demo and settings.auth_mode == "jwt":
        _print_demo_tokens()
    own_secret = settings.jwks_file is None and settings.jwt_public_key_file is None
    if workers > 1 and settings.auth_mode == "jwt" and own_secret:
        from app.identity.auth import Authenticator

        _ = Authenticator(settings).secret  # a generated one is made here, before the workers
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=30,
    )
    return 0


def _scheduler(_args: argparse.Namespace) -> int:
    """Fire due timers until SIGTERM or SIGINT; the job in hand finishes, the rest are released."""
    import signal
    import threading

    from app.main import build_runtime

    settings = get_settings().model_copy(update={"deploy_on_startup": False})
    runtime = build_runtime(settings)
    runtime.prepare()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    runtime.start_background()
    print(f"Ducha scheduler {runtime.scheduler.owner} on {settings.database_url}", flush=True)
    stopping.wait()
    runtime.stop_background(timeout=settings.job_lease_seconds)
    runtime.db.engine.dispose()
    return 0


def _print_demo_tokens() -> None:
    import json

    from app.identity.auth import Authenticator

    authenticator = Authenticator(get_settings())
    users = json.loads(DEMO_USERS.read_text(encoding="utf-8"))
    tokens = {u["sub"]: authenticator.mint(**u) for u in users}
    path = Path("var/demo-tokens.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=1, ensure_ascii=False))
    print(f"Demo users' bearer tokens (12 h) are in {path}. The admin's:")
    print(f"  export TOKEN={tokens['admin']}")


def _token(args: argparse.Namespace) -> int:
    from app.identity.auth import Authenticator

    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    token = Authenticator(get_settings()).mint(
        sub=args.sub, name=args.name or args.sub, unit=args.unit, roles=roles, hours=args.hours
    )
    print(token)
    return 0


def _units(args: argparse.Namespace) -> int:
    from app.db import Database
    from app.org import service as units

    rows = units.read_file(args.file)
    count = Database(get_settings()).transaction(lambda s: units.load(s, rows))
    print(f"{count} units loaded")
    return 0


def _verify_audit(_args: argparse.Namespace) -> int:
    from app.db import Database
    from app.identity import audit

    with Database(get_settings()).session() as session:
        result = audit.verify(session)
    if result.ok:
        anchored = f" (and {result.archived} of archived months, by anchors)"
        print(f"audit trail intact: {result.checked} rows" + (anchored if result.archived else ""))
        return 0
    print(f"audit trail BROKEN at row {result.first_bad_id}: {result.reason}", file=sys.stderr)
    return 2


def _partitions(_args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from app import partitions
    from app.db import Database

    with Database(get_settings()).session() as session:
        connection = session.connection()
        if not partitions.partitioned(connection):
            print("this database keeps plain tables (months are partitions on PostgreSQL only)")
            return 0
        for table in [*partitions.MONTHLY, *partitions.BLOCKS]:
            if not partitions.partitioned(connection, table):
                continue
            found = partitions.months(connection, table)
            strays = connection.execute(text(f"SELECT count(*) FROM {table}_default")).scalar()
            span = f"{found[0]} .. {found[-1]}" if found else "none"
            print(f"{table}: {len(found)} months ({span}); {strays} rows in {table}_default")
    return 0


def _archive(args: argparse.Namespace) -> int:
    from app import partitions
    from app.db import Database
    from app.identity import audit  # noqa: F401 - its anchors are taken before a month leaves

    try:
        month = partitions.Month.parse(args.month)
        name = Database(get_settings()).transaction(
            lambda session: partitions.archive(session, args.table, month, drop=args.drop)
        )
    except partitions.PartitionError as exc:
        print(f"not archived: {exc}", file=sys.stderr)
        return 2
    if args.drop:
        print(f"{args.table} {month}: detached and dropped ({name})")
    else:
        print(f"{args.table} {month}: detached as table {name}; keep it with")
        print(f"  pg_dump --table={name} --format=custom --file={name}.dump <database>")
        print(f"and then remove it with DROP TABLE {name};")
    return 0


def openapi_document() -> str:
    """The service's OpenAPI document as stable JSON: sorted keys, indented, a final newline.

    The app is built with settings that open no connection (SQLite in memory, nothing run at
    start-up): the document depends on the routes and schemas only, not on the environment.
    """
    import json

    from app.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None,
        database_url="sqlite://",
        migrate_on_startup=False,
        deploy_on_startup=False,
        scheduler_enabled=False,
    )
    document = create_app(settings).openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    document = openapi_document()
    if args.output is None:
        sys.stdout.write(document)
    else:
        args.output.write_text(document, encoding="utf-8")
        print(f"OpenAPI document written to {args.output}", file=sys.stderr)
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from app.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is at the latest migration")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from app.db import Database
    from app.engine import Engine, SpecCache, WorkflowCache, deploy_directory
    from app.kit.errors import InvalidBpmn
    from app.main import equip

    settings = get_settings()
    directory = args.directory or settings.processes_dir
    engine = Engine(Database(settings), SpecCache(), WorkflowCache(0))
    equip(engine)  # refuses what serve refuses (unknown markers, roles)
    try:
        results = deploy_directory(engine, directory, max_bytes=settings.max_bpmn_bytes)
    except InvalidBpmn as exc:
        print(f"not deployed: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    for result in results:
        state = "new version" if result.created else "unchanged"
        print(f"{result.key} v{result.version} ({state})")
    return 0


def _lint(args: argparse.Namespace) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the scratch database's migrations
    from app.lint import lint, render
    from app.main import equip

    settings = get_settings()
    paths = args.paths or [settings.processes_dir]
    messages = lint(
        paths,
        forms=args.forms,
        max_bytes=settings.max_bpmn_bytes,
        equip=equip,
    )
    if args.format == "json" or messages:
        print(render(messages, args.format))
    errors = sum(m.severity == "error" for m in messages)
    warnings = len(messages) - errors
    print(f"{errors} errors, {warnings} warnings", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def _test(args: argparse.Namespace) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the scratch database's migrations
    from app.scenarios.command import render, summary, test

    settings = get_settings()
    report = test(
        args.paths or [settings.processes_dir],
        forms=args.forms,
        max_bytes=settings.max_bpmn_bytes,
        min_coverage=args.min_coverage,
    )
    print(render(report, args.format))
    print(summary(report), file=sys.stderr)
    return 0 if report.ok else 1


HANDLERS = {
    "partitions": _partitions,
    "archive": _archive,
    "serve": _serve,
    "migrate": _migrate,
    "deploy": _deploy,
    "lint": _lint,
    "test": _test,
    "token": _token,
    "units": _units,
    "verify-audit": _verify_audit,
    "scheduler": _scheduler,
    "openapi": _openapi,
}


if __name__ == "__main__":
    sys.exit(main())
