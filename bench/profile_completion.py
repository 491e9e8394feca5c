"""Where one completion's time goes: the whole ASGI app in-process (no socket), profiled.

    .venv/bin/python -m bench.profile_completion                       # review loop, PostgreSQL
    .venv/bin/python -m bench.profile_completion --backend sqlite
    .venv/bin/python -m bench.profile_completion --process five_steps  # reference process
    .venv/bin/python -m bench.profile_completion --warm 1000 --against-fresh

It builds the app exactly as uvicorn does (create_app + lifespan: migrate, load the demo units,
deploy the bench BPMN), then sends `POST /api/v1/tasks/{id}/complete` requests straight into the
ASGI app from one event loop, with a bearer token, so authentication, the middleware, validation,
the route, the response's serialization and the database are all measured — only uvicorn's socket
and HTTP parsing are left out. Sync routes run inline on the loop's thread (`--threadpool` keeps
FastAPI's thread hop) so that cProfile sees them.

It prints: the latency and CPU per completion, the SQL statements per completion (by verb and
table) with their time in the driver, a split of the time into named phases, and the cProfile
top functions grouped by package. Only 127.0.0.1 is used; the PostgreSQL database is created and
dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.engine_bench import (  # noqa: E402
    BPMN_FILES,
    KEY_FIVE,
    KEY_LOOP,
    START_VARS,
    TASK_VARS,
    UNITS_FILE,
    bench_token,
    check_local,
    describe,
    postgres_database,
)

SECRET = "ducha-profile-secret-0123456789-0123456789"


class Phases:
    """Time spent inside named functions (outermost call only), per completion: wall time, or
    with `--cpu` this thread's CPU time."""

    clock: Callable[[], float] = time.perf_counter

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._depth: Counter[str] = Counter()

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        phases = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if phases._depth[name]:
                return original(*args, **kwargs)
            phases._depth[name] += 1
            started = Phases.clock()
            try:
                return original(*args, **kwargs)
            finally:
                phases.totals[name] += Phases.clock() - started
                phases._depth[name] -= 1

        setattr(owner, attr, timed)

    def reset(self) -> None:
        self.totals.clear()


_TABLE = re.compile(
    r"^\s*(?:WITH\b.*?\)\s*)?(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)",
    re.S | re.I,
)


def _statement_kind(statement: str) -> str:
    text = statement.strip()
    head = text.split(None, 1)[0].upper() if text else "?"
    if head == "UPDATE":
        return f"UPDATE {text.split()[1].strip(chr(34))}"
    match = _TABLE.match(text)
    if match:
        prefix = "WITH … " if head == "WITH" else ""
        return f"{prefix}{match.group(1).upper()} {match.group(2)}"
    return " ".join(text.split()[:3])[:40]


@contextlib.contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "postgresql":
        check_local(postgres_url)
        with postgres_database(postgres_url) as url:
            yield url
    else:
        directory = Path(tempfile.mkdtemp(prefix="ducha-profile-"))
        try:
            yield f"sqlite:///{directory / 'ducha.db'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)


class AsgiClient:
    """Sends requests straight into an ASGI app (no socket) and collects the response."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ]

    async def request(
        self, method: str, path: str, body: Any = None, query: str = ""
    ) -> tuple[int, Any]:
        payload = json.dumps(body).encode() if body is not None else b""
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(payload)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, json.loads(b"".join(chunks) or b"null")


def database_options(parser: argparse.ArgumentParser) -> None:
    """--backend and --postgres-url, as every in-process profiler takes them."""
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )


def app_settings(url: str, processes: Path, secret: str, **extra: Any) -> Any:
    """The service's settings for an in-process app: no scheduler, JWT with `secret`, the demo
    units."""
    from pydantic import SecretStr

    from app.config import Settings

    return Settings(
        database_url=url,
        processes_dir=processes,
        scheduler_enabled=False,
        jwt_secret=SecretStr(secret),
        units_file=UNITS_FILE,
        **extra,
        _env_file=None,
    )


def inline_threadpool() -> None:
    """Run sync routes and dependencies on the event loop's thread (cProfile sees one thread)."""
    import fastapi.dependencies.utils
    import fastapi.routing

    async def run_inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = run_inline  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = run_inline  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one completion in-process.")
    database_options(parser)
    parser.add_argument("--process", choices=[KEY_LOOP, KEY_FIVE], default=KEY_LOOP)
    parser.add_argument("--completions", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--warm",
        type=int,
        default=None,
        help="completions before measuring (default 50 for the loop: its history then is short)",
    )
    parser.add_argument(
        "--cache-size",
        type=int,
        default=None,
        help="DUCHA_WORKFLOW_CACHE_SIZE for the app (0: every completion deserializes the state)",
    )
    parser.add_argument(
        "--against-fresh",
        action="store_true",
        help="after --warm completions of one loop instance, alternate it with a fresh instance "
        "and print both side by side (robust to machine noise)",
    )
    parser.add_argument(
        "--threadpool",
        action="store_true",
        help="keep FastAPI's thread hop for sync routes (cProfile then misses the route)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    parser.add_argument(
        "--dump", default="", help="also write the cProfile statistics to this file (pstats)"
    )
    parser.add_argument(
        "--callees",
        default="",
        help="comma-separated function names whose callees cProfile should list",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="phases and statements in CPU time of this thread instead of wall time",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.completions <= 20_000:
        parser.error("--completions must be between 10 and 20000")

    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not args.threadpool:
        inline_threadpool()
    if args.cpu:
        Phases.clock = time.thread_time
    with database(args.backend, args.postgres_url) as url, tempfile.TemporaryDirectory() as tmp:
        processes = Path(tmp) / "processes"
        processes.mkdir()
        for path in BPMN_FILES:
            shutil.copy(path, processes / path.name)
        return asyncio.run(profile(url, processes, args))


async def profile(url: str, processes: Path, args: argparse.Namespace) -> int:
    from sqlalchemy import event

    from app.engine.api import access
    from app.engine.persist import state
    from app.engine.runtime import advance, service
    from app.engine.runtime import engine as runtime
    from app.identity import audit, policy
    from app.main import create_app

    extra: dict[str, Any] = {}
    if args.cache_size is not None:
        extra["workflow_cache_size"] = args.cache_size
    app = create_app(app_settings(url, processes, SECRET, **extra))
    engine = app.state.engine
    statements: Counter[str] = Counter()
    statement_time: dict[str, float] = defaultdict(float)
    sql_time = [0.0]

    @event.listens_for(engine.db.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["bench_t0"] = Phases.clock()

    @event.listens_for(engine.db.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        elapsed = Phases.clock() - conn.info.pop("bench_t0", Phases.clock())
        kind = _statement_kind(statement)
        sql_time[0] += elapsed
        statements[kind] += 1
        statement_time[kind] += elapsed

    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import SessionTransaction

    phases = Phases()
    phases.wrap(SessionTransaction, "commit", "SessionTransaction.commit (flush + COMMIT)")
    phases.wrap(Connection, "_begin_impl", "Connection begin (BEGIN)")
    phases.wrap(engine.db.engine, "connect", "pool checkout (engine.connect)")
    phases.wrap(engine.db, "transaction", "transaction (whole unit of work incl. commit)")
    phases.wrap(app.state.authenticator, "authenticate", "authenticate (bearer token)")
    phases.wrap(policy, "scope_of", "policy.scope_of")
    phases.wrap(access, "task_to_work", "access.task_to_work")
    phases.wrap(service, "prime_from_warm", "service.prime_from_warm (task, row from warm)")
    phases.wrap(service, "prepare_completion", "service.prepare_completion (checks, load)")
    phases.wrap(service, "run_completion", "service.run_completion (the step)")
    phases.wrap(runtime, "load", "runtime.load (row + cached/deserialized workflow)")
    phases.wrap(state, "load", "state.load (deserialize)")
    phases.wrap(runtime, "step", "runtime.step (engine step + projection + writes)")
    phases.wrap(advance, "run", "advance.run (SpiffWorkflow: run + engine steps)")
    phases.wrap(runtime, "_sync_tasks", "runtime._sync_tasks (task projection)")
    phases.wrap(runtime, "save", "runtime.save (the step's writes)")
    phases.wrap(service, "step_detail", "service.step_detail (response)")
    phases.wrap(state, "dump", "state.dump (serialize)")
    phases.wrap(state, "prune", "state.prune")
    phases.wrap(audit, "record", "audit.record (chain append)")

    key = args.process
    client = AsgiClient(app, bench_token(SECRET))

    async with app.router.lifespan_context(app):

        async def start() -> list[str]:
            status, body = await client.request(
                "POST",
                "/api/v1/process-instances",
                {"process_key": key, "variables": START_VARS[key]},
            )
            if status != 201:
                raise RuntimeError(f"start: {status} {body}")
            return [t["id"] for t in body["ready_tasks"]]

        pending: list[str] = []
        other: list[str] = []  # a second instance's ready task (--against-fresh)

        async def complete_one() -> float:
            nonlocal pending
            if not pending:
                pending = await start()
            task_id = pending.pop(0)
            started = time.perf_counter()
            status, body = await client.request(
                "POST", f"/api/v1/tasks/{task_id}/complete", {"variables": TASK_VARS[key]}
            )
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"complete: {status} {body}")
            pending = [t["id"] for t in body["ready_tasks"]] if body["status"] == "running" else []
            return elapsed

        def swap() -> None:
            nonlocal pending, other
            pending, other = other, pending

        warm = args.warm if args.warm is not None else (50 if key == KEY_LOOP else 100)
        for _ in range(warm):
            await complete_one()
        if args.against_fresh:
            measured = {"old": Measure(), "fresh": Measure()}
            swap()  # the next completion starts a fresh instance
            for _ in range(max(1, args.completions // 10)):
                for name in ("fresh", "old"):
                    await complete_one()
                    with measured[name].block(phases, statements, statement_time):
                        for _ in range(10):
                            measured[name].latencies.append(await complete_one())
                    swap()
            return print_against_fresh(args, key, warm, measured)
        statements.clear()
        statement_time.clear()
        sql_time[0] = 0.0
        phases.reset()
        cpu_started = time.process_time()
        latencies = [await complete_one() for _ in range(args.completions)]
        cpu_used = time.process_time() - cpu_started
        n = len(latencies)
        d = describe(latencies)
        counted = dict(statements)
        counted_time = dict(statement_time)
        counted_sql = sql_time[0]
        split = dict(phases.totals)

        profiler = cProfile.Profile(time.thread_time) if args.cpu else cProfile.Profile()
        if not args.no_profile:
            profiler.enable()
            for _ in range(args.completions):
                await complete_one()
            profiler.disable()

    print(
        f"backend {args.backend}; process {key}; {n} completions through the ASGI app "
        f"(no socket), workflow cache {'off' if args.cache_size == 0 else 'on'}, "
        f"measured after {warm} completions; sync routes "
        f"{'in the thread pool' if args.threadpool else 'inline'}; phases and SQL in "
        f"{'CPU' if args.cpu else 'wall'} time"
    )
    print(
        f"  per completion: mean {d['mean']:.2f} ms, p50 {d['p50']:.2f} ms, p95 {d['p95']:.2f} ms"
    )
    print(
        f"  CPU of this process: {cpu_used / n * 1000:.2f} ms per completion "
        f"({cpu_used / sum(latencies):.0%} of the wall time; the rest is waiting on the database)"
    )
    print(
        f"  SQL: {sum(counted.values()) / n:.1f} statements per completion, "
        f"{counted_sql / n * 1000:.2f} ms in the driver (execute only; commit is in the phases)"
    )
    for kind, count in sorted(counted.items(), key=lambda kv: -kv[1]):
        print(f"    {count / n:5.2f}  {kind:<36} {counted_time[kind] / n * 1000:6.3f} ms")
    print("  phases (ms per completion; nested phases are included in their parents):")
    for name, total in sorted(split.items(), key=lambda kv: -kv[1]):
        print(f"    {total / n * 1000:6.3f}  {name}")
    if args.no_profile:
        return 0
    if args.dump:
        profiler.dump_stats(args.dump)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    groups = by_package(stats)
    total = sum(groups.values())
    print("  own time by package (cProfile tottime; profiler overhead inflates Python-heavy code):")
    for name, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"    {seconds / total:6.1%}  {seconds / args.completions * 1000:6.3f} ms  {name}")
    stats = stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    for name in filter(None, args.callees.split(",")):
        stats.print_callees(name)
    print(
        f"  cProfile of another {args.completions} completions (times include profiler overhead):"
    )
    print(stream.getvalue())
    return 0


class Measure:
    """Latencies, phases and SQL time of one instance, in blocks interleaved with another."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.phases: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def block(
        self, phases: Phases, statements: Counter[str], times: dict[str, float]
    ) -> Iterator[None]:
        phases.reset()
        statements.clear()
        times.clear()
        yield
        for name, total in phases.totals.items():
            self.phases[name] += total
        for kind, total in times.items():
            self.sql[kind] += total


def print_against_fresh(
    args: argparse.Namespace, key: str, warm: int, measured: dict[str, Measure]
) -> int:
    old, fresh = measured["old"], measured["fresh"]
    n_old, n_fresh = len(old.latencies), len(fresh.latencies)
    d_old, d_fresh = describe(old.latencies), describe(fresh.latencies)
    print(
        f"backend {args.backend}; process {key}; an instance after {warm} completions vs a fresh "
        f"one, interleaved in blocks of 10 (in-process, no socket)"
    )
    print(f"  {'':<52} {'fresh':>8} {'old':>8} {'old/fresh':>9}")
    print(
        f"  {'p50 ms':<52} {d_fresh['p50']:8.3f} {d_old['p50']:8.3f} "
        f"{d_old['p50'] / d_fresh['p50']:9.2f}"
    )
    print(
        f"  {'mean ms':<52} {d_fresh['mean']:8.3f} {d_old['mean']:8.3f} "
        f"{d_old['mean'] / d_fresh['mean']:9.2f}"
    )
    rows = [
        (f"phase: {name}", old.phases.get(name, 0.0), fresh.phases.get(name, 0.0))
        for name in sorted(set(old.phases) | set(fresh.phases), key=lambda k: -old.phases[k])
    ]
    rows += [
        (f"SQL: {kind}", old.sql.get(kind, 0.0), fresh.sql.get(kind, 0.0))
        for kind in sorted(set(old.sql) | set(fresh.sql), key=lambda k: -old.sql[k])
    ]
    for name, o, f in rows:
        o_ms, f_ms = o / n_old * 1000, f / n_fresh * 1000
        ratio = f"{o_ms / f_ms:9.2f}" if f_ms > 0 else f"{'':>9}"
        print(f"  {name[:52]:<52} {f_ms:8.3f} {o_ms:8.3f} {ratio}")
    return 0


PACKAGES = [
    ("site-packages/sqlalchemy/", "SQLAlchemy (ORM, Core, pool)"),
    ("site-packages/psycopg", "psycopg (driver; includes waiting on the server)"),
    ("sqlite3", "sqlite3 (driver; includes the database work)"),
    ("site-packages/SpiffWorkflow/", "SpiffWorkflow (engine step, serializer)"),
    ("site-packages/pydantic", "pydantic (models, validation)"),
    ("site-packages/fastapi/", "FastAPI"),
    ("site-packages/starlette/", "Starlette"),
    ("site-packages/anyio/", "anyio"),
    ("site-packages/jwt/", "PyJWT"),
    ("site-packages/prometheus_client/", "prometheus_client"),
    ("site-packages/simpleeval", "simpleeval (expressions)"),
    ("site-packages/jsonschema", "jsonschema"),
    ("/app/", "app/ (Ducha's own code)"),
    ("/bench/", "bench/ (this profiler's wrappers and client)"),
    ("json/", "json (stdlib)"),
    ("uuid.py", "uuid (stdlib)"),
    ("copy.py", "copy (stdlib)"),
    ("asyncio/", "asyncio (stdlib)"),
    ("threading.py", "threading (stdlib)"),
]


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own (tottime) seconds per package; built-ins are charged to their own line."""
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~":
            name = "built-ins: " + (
                "sqlite3"
                if "sqlite3" in function
                else "select/poll (socket wait)"
                if ("select" in function or "poll" in function)
                else "json"
                if "json" in function or "encode" in function
                else "other"
            )
        else:
            name = next((label for marker, label in PACKAGES if marker in filename), None) or (
                "other stdlib"
                if "/lib/python3" in filename and "site-packages" not in filename
                else "other site-packages"
            )
        groups[name] += tottime
    return groups


if __name__ == "__main__":
    sys.exit(main())
