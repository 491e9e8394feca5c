"""Where a supervision matter's time goes: its whole lifecycle through the ASGI app in-process.

    .venv/bin/python -m bench.profile_lifecycle                    # PostgreSQL, 100 matters
    .venv/bin/python -m bench.profile_lifecycle --backend sqlite
    .venv/bin/python -m bench.profile_lifecycle --statements       # each request's statements
    .venv/bin/python -m bench.profile_lifecycle --profile          # and cProfile by package

The matters are those of `bench.load` (register, draft the plan, approve it, sign for, report,
review, evaluate: 7 changes, each after a GET of the matter's ready tasks), sent one at a time
straight into the ASGI app as `bench.profile_completion` sends completions: authentication,
the middleware, validation, the routes, the supervision recorders, the answers and the database
are measured; uvicorn's socket and HTTP parsing are not, nor any contention. It prints, per
request kind, this thread's CPU (the service's own work) and wall time, and the statements
sent; then the CPU per matter split into named phases; with `--profile`, the CPU of another
run by package. The PostgreSQL database (or SQLite file) is created for the run and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.engine_bench import quantile
from bench.load import Driver, Tally, one_matter, token
from bench.profile_completion import (
    AsgiClient,
    Phases,
    _statement_kind,
    app_settings,
    by_package,
    database,
    database_options,
    inline_threadpool,
)

ROOT = Path(__file__).resolve().parent.parent


class InProcess(Driver):
    """bench.load's driver, sending each request into the app in this thread; each request's
    CPU, wall time and statements are kept by its kind."""

    def __init__(self, app: Any, tally: Tally) -> None:
        self.tally = tally
        self.asgi = {who: AsgiClient(app, token(who)) for who in ("office", "head", "fgw")}
        self.kind: str | None = None
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, Counter[str]] = defaultdict(Counter)

    async def call(self, kind: str, who: str, method: str, url: str, **kw: Any) -> dict:
        query = urlencode(kw.get("params") or {})
        self.kind = kind
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            status, body = await self.asgi[who].request(method, url, kw.get("json"), query)
        finally:
            self.kind = None
        self.cpu[kind].append(time.thread_time() - cpu)
        self.wall[kind].append(time.perf_counter() - wall)
        self.tally.requests += 1
        if status >= 400:
            raise RuntimeError(f"{kind}: {status} {body}")
        return dict(body) if body else {}

    def seen(self, statement: str) -> None:
        if self.kind is not None:
            self.statements[self.kind][_statement_kind(statement)] += 1

    def clear(self) -> None:
        self.cpu.clear()
        self.wall.clear()
        self.statements.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    database_options(parser)
    parser.add_argument("--matters", type=int, default=100)
    parser.add_argument("--statements", action="store_true", help="each kind's statements")
    parser.add_argument("--profile", action="store_true", help="cProfile another run (CPU)")
    args = parser.parse_args(argv)
    if not 5 <= args.matters <= 5_000:
        parser.error("--matters must be between 5 and 5000")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    inline_threadpool()
    Phases.clock = time.thread_time
    with database(args.backend, args.postgres_url) as url, tempfile.TemporaryDirectory() as tmp:
        processes = Path(tmp) / "processes"
        shutil.copytree(ROOT / "processes", processes)
        return asyncio.run(profile(url, processes, args))


async def profile(url: str, processes: Path, args: argparse.Namespace) -> int:
    from sqlalchemy import event
    from sqlalchemy.orm import SessionTransaction

    from app.engine.api import access
    from app.engine.persist import state
    from app.engine.runtime import advance, service
    from app.engine.runtime import engine as runtime
    from app.main import create_app
    from app.supervision import use_cases
    from bench.engine_bench import BENCH_SECRET

    app = create_app(app_settings(url, processes, BENCH_SECRET))
    tally = Tally()
    driver = InProcess(app, tally)
    event.listen(
        app.state.engine.db.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: driver.seen(statement),
    )
    phases = Phases()
    db = app.state.engine.db
    phases.wrap(db, "transaction", "transaction (the unit of work, commit included)")
    phases.wrap(SessionTransaction, "commit", "commit (ORM flush, audit and events, COMMIT)")
    phases.wrap(access, "task_to_work", "the task and its access check")
    phases.wrap(advance, "run", "SpiffWorkflow: run and engine steps")
    phases.wrap(state, "dump", "state: serialize")
    phases.wrap(state, "prune", "state: prune")
    phases.wrap(runtime, "save", "the step's writes (one statement)")
    phases.wrap(runtime, "_notify", "domain recorders (supervision, events)")
    phases.wrap(service, "step_detail", "a completion's answer")
    phases.wrap(use_cases, "detail", "a registration's answer (the matter's detail)")

    async with app.router.lifespan_context(app):
        for n in range(10):  # warm: caches, connections, prepared statements
            await one_matter(driver, -1 - n)
        driver.clear()
        phases.reset()
        started = time.thread_time()
        for n in range(args.matters):
            await one_matter(driver, n)
        cpu = time.thread_time() - started
        report(args, driver, phases, cpu)
        if args.profile:
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            for n in range(args.matters):
                await one_matter(driver, args.matters + n)
            profiler.disable()
            groups = by_package(pstats.Stats(profiler))
            total = sum(groups.values())
            print("\nCPU by package, another run under cProfile (its overhead inflates Python):")
            for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1])[:20]:
                print(f"  {seconds / total:6.1%}  {name}")
    return 0


def report(args: argparse.Namespace, driver: InProcess, phases: Phases, cpu: float) -> None:
    n = args.matters
    statements = sum(sum(c.values()) for c in driver.statements.values())
    print(
        f"backend {args.backend}; {n} matters through their lifecycle, one at a time, in-process "
        f"(no socket); CPU of the service's thread"
    )
    print(f"  per matter: CPU {cpu / n * 1000:.1f} ms, {statements / n:.1f} statements\n")
    print("| request | per matter | CPU p50 ms | CPU mean ms | wall p50 ms | statements |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, values in driver.cpu.items():
        k = len(values)
        print(
            f"| {kind} | {k / n:.0f} | {quantile(values, 0.5) * 1000:.2f} | "
            f"{statistics.fmean(values) * 1000:.2f} | "
            f"{quantile(driver.wall[kind], 0.5) * 1000:.2f} | "
            f"{sum(driver.statements[kind].values()) / k:.1f} |"
        )
    print("\n| phase (nested phases are included in their parents) | CPU ms per matter |")
    print("|---|---:|")
    for name, total in sorted(phases.totals.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {total / n * 1000:.2f} |")
    if args.statements:
        for kind, counted in driver.statements.items():
            k = len(driver.cpu[kind])
            print(f"\n{kind}:")
            for statement, count in counted.most_common():
                print(f"  {count / k:5.2f}  {statement}")


if __name__ == "__main__":
    raise SystemExit(main())
