"""Command line: `ducha serve | migrate | deploy | scheduler`."""

import argparse
import logging
import sys
from pathlib import Path

from app.config import get_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ducha` command."""
    parser = argparse.ArgumentParser(prog="ducha", description="Ducha (督查) workflow service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, deploy processes/ and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="alembic upgrade head on DUCHA_DATABASE_URL")
    deploy = commands.add_parser("deploy", help="deploy a directory of BPMN files (and forms/)")
    deploy.add_argument("directory", type=Path, nargs="?")
    args = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("SpiffWorkflow").setLevel(logging.WARNING)
    handler = {"serve": _serve, "migrate": _migrate, "deploy": _deploy}[args.command]
    return handler(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    print(f"Ducha on http://{args.host}:{args.port}/docs — database {settings.database_url}")
    uvicorn.run(
        "app.main:app", host=args.host, port=args.port, workers=args.workers,
        log_level=settings.log_level.lower(), timeout_graceful_shutdown=30,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from app.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is at the latest migration")
    return 0


def _deploy(args: argparse.Namespace) -> int:
    from app.db import Database
    from app.engine import service
    from app.engine.runtime import Engine, SpecCache, WorkflowCache
    from app.errors import InvalidBpmn

    settings = get_settings()
    directory = args.directory or settings.processes_dir
    engine = Engine(Database(settings), SpecCache(), WorkflowCache(0))
    try:
        results = service.deploy_directory(engine, directory, max_bytes=settings.max_bpmn_bytes)
    except InvalidBpmn as exc:
        print(f"not deployed: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    for result in results:
        state = "new version" if result.created else "unchanged"
        print(f"{result.key} v{result.version} ({state})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
