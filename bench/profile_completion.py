"""Where one completion's time goes: the service in-process (no HTTP), profiled with cProfile.

    .venv/bin/python -m bench.profile_completion                       # PostgreSQL
    .venv/bin/python -m bench.profile_completion --backend sqlite
    .venv/bin/python -m bench.profile_completion --process five_steps  # reference process instead

It builds the app exactly as uvicorn does (create_app + lifespan: migrate, deploy the bench BPMN),
then calls the route function of POST /api/v1/tasks/{id}/complete directly, so the figures are the
server-side cost without HTTP. It prints: the time per completion, the SQL statements per completion
(by verb and table) with their time in the driver, a split of the time into named phases, and the
cProfile top functions. Only 127.0.0.1 is used; the PostgreSQL database is created and dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
import uuid
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
    check_local,
    describe,
    postgres_database,
)


class Phases:
    """Wall time spent inside named functions (outermost call only), per completion."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._depth: Counter[str] = Counter()

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        phases = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if phases._depth[name]:
                return original(*args, **kwargs)
            phases._depth[name] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases.totals[name] += time.perf_counter() - started
                phases.calls[name] += 1
                phases._depth[name] -= 1

        setattr(owner, attr, timed)

    def reset(self) -> None:
        self.totals.clear()
        self.calls.clear()


_TABLE = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.S | re.I
)


def _statement_kind(statement: str) -> str:
    head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    match = _TABLE.match(statement)
    if head == "UPDATE":
        table = statement.split()[1].strip('"')
        return f"UPDATE {table}"
    if match:
        return f"{match.group(1).upper()} {match.group(2)}"
    return head


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one completion in-process.")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
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
        "--what-if",
        choices=["none", *WHAT_IF, "compare"],
        default="none",
        help="patch a suggested change into THIS process only (app/ is untouched); "
        "`compare` interleaves all variants and prints their latencies",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.completions <= 20_000:
        parser.error("--completions must be between 10 and 20000")

    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with database(args.backend, args.postgres_url) as url, tempfile.TemporaryDirectory() as tmp:
        processes = Path(tmp) / "processes"
        processes.mkdir()
        for path in BPMN_FILES:
            shutil.copy(path, processes / path.name)
        return profile(url, processes, args)


def profile(url: str, processes: Path, args: argparse.Namespace) -> int:
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.config import Settings
    from app.engine import api, runtime, service, state
    from app.engine.schemas import CompleteTask, StartInstance
    from app.main import create_app

    extra: dict[str, Any] = {}
    if args.cache_size is not None:
        extra["workflow_cache_size"] = args.cache_size
    settings = Settings(
        database_url=url,
        processes_dir=processes,
        scheduler_enabled=False,
        **extra,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    engine = app.state.engine
    statements: Counter[str] = Counter()
    statement_time: dict[str, float] = defaultdict(float)
    sql_time = [0.0]

    @event.listens_for(engine.db.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine.db.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
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
    phases.wrap(service, "complete", "service.complete (in the transaction)")
    phases.wrap(runtime, "load", "runtime.load (row + cached/deserialized workflow)")
    phases.wrap(state, "load", "state.load (deserialize)")
    phases.wrap(runtime, "step", "runtime.step (engine step + projection + writes)")
    phases.wrap(state, "dump", "state.dump (serialize)")
    phases.wrap(state, "prune", "state.prune")
    phases.wrap(service, "instance_detail", "service.instance_detail (response query)")
    phases.wrap(runtime, "_sync_tasks", "runtime._sync_tasks")
    phases.wrap(runtime, "_finish_if_done", "runtime._finish_if_done")
    phases.wrap(runtime, "validate_submission", "runtime.validate_submission")

    key = args.process
    body = CompleteTask(variables=TASK_VARS[key])
    original_detail = service.instance_detail
    grouped_detail = grouped_history_detail(original_detail)
    in_transaction = one_transaction_route(service)
    variants: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
        "none": (api.complete_task, original_detail),
        "grouped-history": (api.complete_task, grouped_detail),
        "detail-in-transaction": (in_transaction, original_detail),
        "both": (in_transaction, grouped_detail),
        "both-no-history-query": (
            in_transaction,
            grouped_history_detail(original_detail, skip=True),
        ),
    }
    route = [api.complete_task]

    def use(variant: str) -> None:
        route[0], service.instance_detail = variants[variant]

    use("none" if args.what_if == "compare" else args.what_if)

    with TestClient(app):  # runs the lifespan: migrate, deploy the bench processes

        def start() -> list[str]:
            detail = api.start_instance(
                StartInstance(process_key=key, variables=START_VARS[key]), engine, None
            )
            return [str(t.id) for t in detail.ready_tasks]

        pending: list[str] = []
        other: list[str] = []  # a second instance's ready task (--against-fresh)

        def next_task() -> str:
            nonlocal pending
            if not pending:
                pending = start()
            return pending.pop(0)

        def complete_one() -> float:
            nonlocal pending
            task_id = next_task()
            started = time.perf_counter()
            detail = route[0](uuid.UUID(task_id), body, engine, None)
            elapsed = time.perf_counter() - started
            pending = [str(t.id) for t in detail.ready_tasks]
            if detail.status != "running":
                pending = []
            return elapsed

        def swap() -> None:
            nonlocal pending, other
            pending, other = other, pending

        warm = args.warm if args.warm is not None else (50 if key == KEY_LOOP else 100)
        for _ in range(warm):
            complete_one()
        if args.what_if == "compare":
            return compare(args, key, warm, use, complete_one, list(variants))
        if args.against_fresh:
            measured = {"old": Measure(), "fresh": Measure()}
            swap()  # the next completion starts a fresh instance
            for _ in range(max(1, args.completions // 10)):
                for name in ("fresh", "old"):
                    complete_one()
                    with measured[name].block(phases, statements, statement_time):
                        measured[name].latencies.extend(complete_one() for _ in range(10))
                    swap()
            return print_against_fresh(args, key, warm, measured)
        statements.clear()
        statement_time.clear()
        sql_time[0] = 0.0
        phases.reset()
        cpu_started, thread_started = time.process_time(), time.thread_time()
        latencies = [complete_one() for _ in range(args.completions)]
        cpu_used = time.process_time() - cpu_started
        thread_used = time.thread_time() - thread_started
        n = len(latencies)
        d = describe(latencies)
        counted = dict(statements)
        counted_time = dict(statement_time)
        counted_sql = sql_time[0]
        split = dict(phases.totals)

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.completions):
            complete_one()
        profiler.disable()

    print(
        f"backend {args.backend}; process {key}; {n} completions in-process (no HTTP), "
        f"workflow cache {'off' if args.cache_size == 0 else 'on'}, "
        f"measured after {warm} completions; what-if: {args.what_if}"
    )
    print(
        f"  per completion: mean {d['mean']:.2f} ms, p50 {d['p50']:.2f} ms, p95 {d['p95']:.2f} ms"
    )
    print(
        f"  CPU of the calling thread: {thread_used / n * 1000:.2f} ms per completion "
        f"({thread_used / sum(latencies):.0%} of the wall time; the rest is waiting on the "
        f"database); whole process {cpu_used / n * 1000:.2f} ms"
    )
    print(
        f"  SQL: {sum(counted.values()) / n:.1f} statements per completion, "
        f"{counted_sql / n * 1000:.2f} ms in the driver (execute only; commit is in the phases)"
    )
    for kind, count in sorted(counted.items(), key=lambda kv: -kv[1]):
        print(f"    {count / n:5.2f}  {kind:<28} {counted_time[kind] / n * 1000:6.3f} ms")
    print("  phases (ms per completion; nested phases are included in their parents):")
    for name, total in sorted(split.items(), key=lambda kv: -kv[1]):
        print(f"    {total / n * 1000:6.3f}  {name}")
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
    text = stream.getvalue()
    print(
        f"  cProfile of another {args.completions} completions (times include profiler overhead):"
    )
    print(text)
    return 0


WHAT_IF = ["grouped-history", "detail-in-transaction", "both", "both-no-history-query"]


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
        f"backend {args.backend}; process {key}; what-if {args.what_if}; an instance after {warm} "
        f"completions vs a fresh one, interleaved in blocks of 10 (in-process, no HTTP)"
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


def compare(
    args: argparse.Namespace,
    key: str,
    warm: int,
    use: Callable[[str], None],
    complete_one: Callable[[], float],
    names: list[str],
) -> int:
    """Interleave the variants in rounds so that machine noise hits them all alike."""
    block = 10
    rounds = max(1, args.completions // block)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            use(name)
            complete_one()  # the first completion after a switch is not counted
            latencies[name].extend(complete_one() for _ in range(block))
    use("none")
    print(
        f"backend {args.backend}; process {key}; after {warm} completions; what-if variants "
        f"interleaved in {rounds} rounds of {block} completions (in-process, no HTTP)"
    )
    base = describe(latencies["none"])
    for name in names:
        d = describe(latencies[name])
        print(
            f"  {name:<22} p50 {d['p50']:6.2f} ms  mean {d['mean']:6.2f} ms  "
            f"p95 {d['p95']:6.2f} ms   p50 vs none {d['p50'] / base['p50']:.2f}×"
        )
    return 0


def grouped_history_detail(
    original: Callable[..., Any], *, skip: bool = False
) -> Callable[..., Any]:
    """What-if: completed_element_ids aggregated by the database instead of from every row.

    service.instance_detail selects element_id of every element_completed/task_completed event of
    the instance and de-duplicates in Python, so every response costs O(history). This copy of
    it (same response; checked against the original) gets the list in first-completion order from
    one GROUP BY query that returns one row per element. With `skip`, no history query at all
    (an empty list): the cost of a list kept on the instance row, as a lower bound.
    """
    from sqlalchemy import func, select

    from app.engine.models import HistoryEvent, Incident, Job, ProcessInstance, TaskRecord
    from app.engine.schemas import IncidentOut, InstanceDetail, InstanceOut, JobOut, TaskOut
    from app.errors import NotFound

    del original

    def instance_detail(session: Any, instance_id: uuid.UUID) -> Any:
        row = session.get(ProcessInstance, instance_id)
        if row is None:
            raise NotFound(f"process instance {instance_id} not found")
        ready = session.scalars(
            select(TaskRecord)
            .where(TaskRecord.instance_id == row.id, TaskRecord.state == "ready")
            .order_by(TaskRecord.created_at)
        )
        completed = (
            []
            if skip
            else session.scalars(
                select(HistoryEvent.element_id)
                .where(
                    HistoryEvent.instance_id == row.id,
                    HistoryEvent.event.in_(("element_completed", "task_completed")),
                    HistoryEvent.element_id.is_not(None),
                )
                .group_by(HistoryEvent.element_id)
                .order_by(func.min(HistoryEvent.id))
            )
        )
        incidents = session.scalars(
            select(Incident).where(Incident.instance_id == row.id).order_by(Incident.created_at)
        )
        jobs = session.scalars(select(Job).where(Job.instance_id == row.id).order_by(Job.due_at))
        return InstanceDetail(
            **InstanceOut.model_validate(row).model_dump(),
            ready_tasks=[TaskOut.model_validate(t) for t in ready],
            completed_element_ids=list(completed),
            incidents=[IncidentOut.model_validate(i) for i in incidents],
            waiting_timers=[JobOut.model_validate(j) for j in jobs],
        )

    return instance_detail


def one_transaction_route(service: Any) -> Callable[..., Any]:
    """What-if: POST /tasks/{id}/complete reading its response inside the step's transaction.

    api.complete_task commits, then opens a second session (pool checkout, BEGIN, SELECT of the
    instance again, COMMIT) for the response. Here the detail is read in the same session, where
    the instance row is already in the identity map.
    """
    from app.engine.api import _raise_failure

    def complete_task(task_id: uuid.UUID, body: Any, engine: Any, actor: Any) -> Any:
        def work(s: Any) -> Any:
            outcome = service.complete(
                engine, s, task_id=task_id, variables=body.variables, actor=actor
            )
            detail = None if outcome.failure else service.instance_detail(s, outcome.instance_id)
            return outcome, detail

        outcome, detail = engine.db.transaction(work)
        _raise_failure(outcome)
        return detail

    return complete_task


PACKAGES = [
    ("site-packages/sqlalchemy/", "SQLAlchemy (ORM, Core, pool)"),
    ("site-packages/psycopg", "psycopg (driver; includes waiting on the server)"),
    ("sqlite3", "sqlite3 (driver; includes the database work)"),
    ("site-packages/SpiffWorkflow/", "SpiffWorkflow (engine step, serializer)"),
    ("site-packages/pydantic", "pydantic (response models)"),
    ("site-packages/fastapi/", "FastAPI"),
    ("site-packages/starlette/", "Starlette"),
    ("site-packages/simpleeval", "simpleeval (expressions)"),
    ("site-packages/tenacity/", "tenacity (retry wrapper)"),
    ("site-packages/jsonschema", "jsonschema"),
    ("/app/", "app/ (Ducha's own code)"),
    ("/bench/", "bench/ (this profiler's wrappers)"),
    ("json/", "json (stdlib)"),
    ("uuid.py", "uuid (stdlib)"),
    ("copy.py", "copy (stdlib)"),
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
