"""What finding a request's route costs, with the routers that cannot hold it passed by or not.

    .venv/bin/python -m bench.routing [--rounds 20] [--block 500]

The service as built (`app.main.create_app`, on a temporary SQLite file), in this process. For
representative paths — early, middle and late in the route list, and one no route holds — it
times FastAPI's own loop over the app's routes until one matches, with every `app.kit.routing.
Router` checking the path first (`guarded`) and with the check off, alternating in blocks so that
machine noise hits both alike; then the CPU of a whole `GET /health` and of a 404 through the
ASGI app (middleware, routing, the route), both ways. (A router included under a prefix never
checks: `Router.guarded`.) It prints microseconds and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from starlette.routing import Match  # noqa: E402

from app.kit.routing import Router  # noqa: E402
from bench.profile_completion import (  # noqa: E402
    SECRET,
    AsgiClient,
    app_settings,
    bench_token,
    inline_threadpool,
)

SAMPLE = "00000000-0000-4000-8000-000000000001"
PATHS = (
    ("POST", f"/api/v1/tasks/{SAMPLE}/complete"),
    ("GET", f"/api/v1/process-instances/{SAMPLE}"),
    ("POST", "/api/v1/matters"),
    ("GET", f"/api/v1/matters/{SAMPLE}"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/console/inbox/counts"),
    ("GET", "/health"),
    ("GET", "/api/v1/nowhere"),  # no API route (a built console's catch-all answers 404)
)


def routers(app: Any) -> list[Router]:
    found: list[Router] = []
    todo = [getattr(route, "original_router", None) for route in app.router.routes]
    while todo:
        router = todo.pop()
        if isinstance(router, Router):
            found.append(router)
            todo.extend(child for child, _ in router._included)
    return found


def find(app: Any, method: str, path: str) -> bool:
    """FastAPI's loop over the app's routes (APIRouter.app), up to the first full match."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return True
    return False


_AS_BUILT: dict[int, bool] = {}


def guard(app: Any, on: bool) -> None:
    """Every router checks the path first as the app was built (`on`), or none does."""
    for router in routers(app):
        built = _AS_BUILT.setdefault(id(router), router.guarded)
        router.guarded = built and on


async def alternate(app: Any, rounds: int, block: int, run: Any) -> dict[bool, list[float]]:
    """Per-call CPU of `await run()` in alternating blocks, the routers passed by and not."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds + 1):  # the first round warms up, unmeasured
        for on in (True, False):
            guard(app, on)
            started = time.thread_time()
            for _ in range(block):
                await run()
            if round_:
                times[on].append((time.thread_time() - started) / block)
    guard(app, True)
    return times


async def findings(app: Any, rounds: int, block: int) -> list[tuple[str, dict[bool, list[float]]]]:
    out = []
    for method, path in PATHS:
        shown = path.replace(SAMPLE, "{id}")

        async def run(method: str = method, path: str = path) -> None:
            find(app, method, path)

        out.append((f"{method} {shown}", await alternate(app, rounds, block, run)))
    return out


async def requests(app: Any, rounds: int, block: int) -> list[tuple[str, dict[bool, list[float]]]]:
    client = AsgiClient(app, bench_token(SECRET))
    out = []
    async with app.router.lifespan_context(app):
        for method, path, status in (("GET", "/health", 200), ("GET", "/api/v1/nowhere", 404)):

            async def run(method: str = method, path: str = path, status: int = status) -> None:
                got, body = await client.request(method, path)
                if got != status:
                    raise RuntimeError(f"{method} {path}: {got} {body}")

            out.append((f"{method} {path}", await alternate(app, rounds, block, run)))
    return out


def line(name: str, times: dict[bool, list[float]]) -> str:
    on, off = statistics.median(times[True]) * 1e6, statistics.median(times[False]) * 1e6
    return f"| {name} | {off:,.1f} | {on:,.1f} | {off / on:.1f}× |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--block", type=int, default=500, help="route findings per block")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    inline_threadpool()
    from app.main import create_app

    directory = Path(tempfile.mkdtemp(prefix="ducha-routing-"))
    try:
        url = f"sqlite:///{directory / 'ducha.db'}"
        app = create_app(app_settings(url, ROOT / "processes", SECRET))
        count = len(routers(app))
        print(f"the service's app: {count} routers (app.kit.routing.Router); CPU µs, medians")
        print(
            "\n| route finding (FastAPI's loop over the app's routes) | checked by nobody | "
            "passed by | ratio |\n|---|---:|---:|---:|"
        )
        for name, times in asyncio.run(findings(app, args.rounds, args.block)):
            print(line(name, times))
        print(
            "\n| whole request through the ASGI app, in-process | checked by nobody | "
            "passed by | ratio |\n|---|---:|---:|---:|"
        )
        for name, times in asyncio.run(requests(app, args.rounds, max(1, args.block // 10))):
            print(line(name, times))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
