"""Engine benchmark: raw SpiffWorkflow in memory vs the service over HTTP on SQLite and PostgreSQL.

Run from the project root:

    .venv/bin/python -m bench.engine_bench                      # full run, both backends
    .venv/bin/python -m bench.engine_bench --quick              # ~1 minute smoke run
    .venv/bin/python -m bench.engine_bench --backend postgresql --postgres-url URL

It measures, in one run:

1. raw SpiffWorkflow 3.2 in memory (parsed once; task.data.update + task.run() +
   workflow.do_engine_steps()) for the reference process (start -> 5 user tasks -> end), a fan-out
   process (parallel multi-instance user task over 20 units, then one review) and a review loop;
2. the service over HTTP, one uvicorn process started here as a subprocess, on SQLite (a temp file)
   and on PostgreSQL (a database created for the run and dropped after), with 1 and with N
   concurrent clients, with the warm workflow cache on (the default) and off;
3. the cost of one completion after 1, 100 and 1,000 completed tasks of one instance (review loop),
   with the size of the stored state read from the database directly;
4. a summary against the performance aims (PostgreSQL, one service process).

Everything is bounded (fixed counts, timeouts) and talks only to 127.0.0.1. The server subprocess
is stopped and the PostgreSQL database dropped in `finally` blocks.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/engine_bench.py` as well as `python -m bench...`
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

FIVE_STEPS = ROOT / "tests" / "engine" / "bpmn" / "five_steps.bpmn"
FAN_OUT = ROOT / "bench" / "bpmn" / "fan_out.bpmn"
REVIEW_LOOP = ROOT / "bench" / "bpmn" / "review_loop.bpmn"
BPMN_FILES = (FIVE_STEPS, FAN_OUT, REVIEW_LOOP)
KEY_FIVE, KEY_FAN, KEY_LOOP = "five_steps", "bench_fan_out", "bench_review_loop"

UNITS = [f"unit-{i:02d}" for i in range(20)]
START_VARS: dict[str, dict[str, Any]] = {
    KEY_FIVE: {"case": "bench", "amount": 1200},
    KEY_FAN: {"case": "bench", "units": UNITS},
    KEY_LOOP: {"case": "bench", "done": False},
}
TASK_VARS: dict[str, dict[str, Any]] = {
    KEY_FIVE: {"checked": True, "note": "ok"},
    KEY_FAN: {"report": "ok"},
    KEY_LOOP: {"done": False},
}
LABELS = {KEY_FIVE: "reference (5 steps)", KEY_FAN: "fan-out (20 + 1)", KEY_LOOP: "review loop"}

# The aims (docs/performance.md; /work/shared/docs/spiffworkflow-notes.md "Floors on this machine").
FLOOR_P50_MS = 2.6  # hand-written completion: HTTP + load + step + 3 writes + commit, raw psycopg
FLOOR_FACTOR = 1.5
AIM_CLIENTS_THROUGHPUT = 250.0  # completions/s with 8 clients
# The speed issue's aims, against the floor measured in the same run (machines vary 2× by day).
RUN_FLOOR_P50 = 1.0
RUN_FLOOR_CPU = 1.2
RUN_FLOOR_RATE = 1.2
ARENA_PG_1CLIENT = 13.9  # spiff-arena completions/s, PostgreSQL, 1 client
ARENA_FACTOR = 10.0
FLAT_FACTOR = 1.2  # completion at 1,000 completed tasks vs at 1

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
HTTP_TIMEOUT = 60.0

# The server runs in JWT mode (as in production): every request carries a bearer token minted here
# with the run's secret, for a user of the province's supervision office holding every role.
UNITS_FILE = ROOT / "data" / "units_demo.json"
BENCH_UNIT = "320000-DCS"
BENCH_SECRET = f"ducha-bench-{uuid.uuid4().hex}-{uuid.uuid4().hex}"


def bench_token(secret: str = BENCH_SECRET, hours: float = 12.0) -> str:
    """An HS256 token with every known role (app/identity/principal.py), valid for `hours`."""
    import jwt

    from app.identity.principal import KNOWN_ROLES

    now = int(time.time())
    claims = {
        "sub": "bench",
        "name": "Bench client",
        "unit": BENCH_UNIT,
        "roles": sorted(KNOWN_ROLES),
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    return str(jwt.encode(claims, secret, algorithm="HS256"))


def http_client(base_url: str, timeout: float = HTTP_TIMEOUT) -> httpx.Client:
    """A client of the bench server that authenticates every request."""
    return httpx.Client(
        base_url=base_url, timeout=timeout, headers={"Authorization": f"Bearer {bench_token()}"}
    )


def log(message: str) -> None:
    """Progress on stderr; the report goes to stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A request or a check failed: the run stops (and cleans up)."""


# --- counts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    raw_five: int  # instances of the reference process, raw
    raw_fan: int
    raw_loop_passes: int  # raw loop: run until this many passes (or the engine stalls)
    five_1: int  # HTTP, 1 client: instances
    fan_1: int
    five_n: int  # HTTP, N clients: instances per client
    fan_n: int
    cold_five_1: int  # HTTP, workflow cache off
    cold_five_n: int
    loop_marks: tuple[int, ...]
    loop_timed: int  # completions timed after each mark
    interleave_rounds: int  # old vs fresh loop instance, blocks of 10 each
    list_samples: int
    warm_five: int
    warm_fan: int
    warm_loop: int


FULL = Counts(
    raw_five=2000,
    raw_fan=200,
    raw_loop_passes=1000,
    five_1=200,
    fan_1=20,
    five_n=50,
    fan_n=5,
    cold_five_1=100,
    cold_five_n=25,
    loop_marks=(1, 100, 1000),
    loop_timed=50,
    interleave_rounds=10,
    list_samples=20,
    warm_five=20,
    warm_fan=2,
    warm_loop=30,
)
QUICK = Counts(
    raw_five=300,
    raw_fan=30,
    raw_loop_passes=300,
    five_1=30,
    fan_1=3,
    five_n=6,
    fan_n=1,
    cold_five_1=15,
    cold_five_n=3,
    loop_marks=(1, 100, 300),
    loop_timed=20,
    interleave_rounds=3,
    list_samples=5,
    warm_five=5,
    warm_fan=1,
    warm_loop=10,
)


# --- statistics --------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator was too small to measure.

    CPU time comes from /proc in clock ticks (10 ms on Linux): a short run can read 0 for the
    floor, and a ratio to 0 is not a measurement.
    """
    return numerator / denominator if denominator > 0 else float("nan")


def quantile(values: list[float], q: float) -> float:
    """Linear-interpolated quantile of a non-empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def describe(seconds: list[float]) -> dict[str, float]:
    """n, mean, p50, p95, p99, max of latencies given in seconds, reported in milliseconds."""
    if not seconds:
        return {
            "n": 0,
            "mean": float("nan"),
            "p50": float("nan"),
            "p95": float("nan"),
            "p99": float("nan"),
            "max": float("nan"),
        }
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "mean": sum(ms) / len(ms),
        "p50": quantile(ms, 0.50),
        "p95": quantile(ms, 0.95),
        "p99": quantile(ms, 0.99),
        "max": max(ms),
    }


# --- 1. raw SpiffWorkflow in memory ------------------------------------------------------------


def raw_bench(counts: Counts) -> dict[str, Any]:
    """Parse once; run whole instances in memory; time every completion individually."""
    from SpiffWorkflow import __version__ as spiff_version
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_files([str(p) for p in BPMN_FILES])
    specs = {
        k: (parser.get_spec(k), parser.get_subprocess_specs(k))
        for k in (KEY_FIVE, KEY_FAN, KEY_LOOP)
    }
    perf = time.perf_counter

    def new(key: str) -> Any:
        spec, subprocess_specs = specs[key]
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.task_tree.data.update(START_VARS[key])
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(START_VARS[key])
        workflow.do_engine_steps()
        return workflow

    def complete(workflow: Any, task: Any, data: dict[str, Any]) -> float:
        started = perf()
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
        return perf() - started

    def lifecycle(key: str, n: int) -> dict[str, Any]:
        t0 = perf()
        workflows = [new(key) for _ in range(n)]
        t_start = perf() - t0
        latencies: list[float] = []
        t1 = perf()
        for workflow in workflows:
            for _guard in range(1000):
                ready = workflow.get_tasks(state=TaskState.READY, manual=True)
                if not ready:
                    break
                latencies.append(complete(workflow, ready[0], TASK_VARS[key]))
        t_complete = perf() - t1
        if not all(w.completed for w in workflows):
            raise BenchError(f"raw {key}: an instance did not complete")
        total = t_start + t_complete
        return {
            "instances": n,
            "completions": len(latencies),
            "instances_per_s": n / total,
            "starts_per_s": n / t_start,
            "completions_per_s": len(latencies) / t_complete,
            "us_per_completion": t_complete / len(latencies) * 1e6,
            "completion": describe(latencies),
        }

    # warm-up (imports, caches, allocator)
    lifecycle(KEY_FIVE, max(20, counts.raw_five // 10))
    lifecycle(KEY_FAN, max(2, counts.raw_fan // 10))
    five = lifecycle(KEY_FIVE, counts.raw_five)
    fan = lifecycle(KEY_FAN, counts.raw_fan)

    # The review loop without pruning: the step walks the whole tree; the depth limit stalls it.
    workflow = new(KEY_LOOP)
    marks: dict[int, dict[str, float]] = {}
    stalled_at: int | None = None
    done = 0
    timed = 20
    mark_set = set(counts.loop_marks)
    mark_latencies: dict[int, list[float]] = {}
    current: int | None = None
    limit = counts.raw_loop_passes + timed
    while done < limit:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            stalled_at = done
            break
        elapsed = complete(workflow, ready[0], TASK_VARS[KEY_LOOP])
        if current is not None:
            mark_latencies[current].append(elapsed)
            if len(mark_latencies[current]) >= timed:
                current = None
        done += 1
        if done in mark_set:
            current = done
            mark_latencies[done] = []
    for mark, values in mark_latencies.items():
        if len(values) >= timed:
            marks[mark] = describe(values)
    return {
        "spiff_version": spiff_version,
        "five": five,
        "fan": fan,
        "loop": {"marks": marks, "stalled_at": stalled_at, "timed": timed},
    }


# --- the service under test --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent by all cores outside idle/iowait so far (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Who used the 2 cores during a phase: the server, its database backends, the clients, others.

    `other` is the machine's busy time minus ours: other work on the shared machine (noise).
    """

    def __init__(self, server: Server, probe: DbProbe | None):
        self.server = server
        self.probe = probe

    def snapshot(self) -> dict[str, float]:
        db = 0.0
        if self.probe is not None:
            db = sum(process_cpu_seconds(pid) for pid in self.probe.backend_pids())
        return {
            "server": self.server.cpu_seconds(),
            "db": db,
            "client": time.process_time(),
            "busy": machine_busy_seconds(),
            "t": time.perf_counter(),
        }

    @staticmethod
    def cores(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """Average cores used by each party between two snapshots."""
        wall = max(after["t"] - before["t"], 1e-9)
        used = {k: (after[k] - before[k]) / wall for k in ("server", "db", "client", "busy")}
        used["other"] = max(0.0, used["busy"] - used["server"] - used["db"] - used["client"])
        return used


class Server:
    """One uvicorn process serving app.main:app on 127.0.0.1, stopped by `stop()`."""

    def __init__(
        self, database_url: str, processes_dir: Path, log_dir: Path, *, cache_size: int | None
    ):
        self.database_url = database_url
        self.processes_dir = processes_dir
        self.cache_size = cache_size
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            DUCHA_DATABASE_URL=self.database_url,
            DUCHA_PROCESSES_DIR=str(self.processes_dir),
            DUCHA_SCHEDULER_ENABLED="false",
            DUCHA_LOG_LEVEL="WARNING",
            DUCHA_AUTH_MODE="jwt",
            DUCHA_JWT_SECRET=BENCH_SECRET,
            DUCHA_UNITS_FILE=str(UNITS_FILE),
        )
        if self.cache_size is not None:
            env["DUCHA_WORKFLOW_CACHE_SIZE"] = str(self.cache_size)
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command,
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        with http_client(self.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(
                        f"the server exited ({self.proc.returncode}):\n{self.log_tail()}"
                    )
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                raise BenchError(f"the server did not become healthy:\n{self.log_tail()}")
            listed = client.get("/api/v1/process-definitions", params={"latest": "true"}).json()
        keys = {item["key"] for item in listed["items"]}
        missing = {KEY_FIVE, KEY_FAN, KEY_LOOP} - keys
        if missing:
            raise BenchError(f"not deployed at start-up: {sorted(missing)}\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        return 0.0 if self.proc is None else process_cpu_seconds(self.proc.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class DbProbe:
    """Reads the stored state's size straight from the database (not through the service)."""

    def __init__(self, backend: str, database_url: str):
        self.backend = backend
        if backend == "sqlite":
            path = database_url.removeprefix("sqlite:///")
            self.conn: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        else:
            import psycopg

            self.conn = psycopg.connect(_libpq_url(database_url), autocommit=True)

    def instance_size(self, instance_id: str) -> tuple[int, int]:
        """(bytes of process_instances.state, history rows of the instance)."""
        if self.backend == "sqlite":
            hex_id, text_id = uuid.UUID(instance_id).hex, instance_id
            state = self.conn.execute(
                "SELECT length(CAST(state AS BLOB)) FROM process_instances WHERE id IN (?, ?)",
                (hex_id, text_id),
            ).fetchone()
            history = self.conn.execute(
                "SELECT count(*) FROM history_events WHERE instance_id IN (?, ?)", (hex_id, text_id)
            ).fetchone()
        else:
            state = self.conn.execute(
                "SELECT octet_length(state) FROM process_instances WHERE id = %s", (instance_id,)
            ).fetchone()
            history = self.conn.execute(
                "SELECT count(*) FROM history_events WHERE instance_id = %s", (instance_id,)
            ).fetchone()
        if state is None:
            raise BenchError(f"instance {instance_id} not found in the database")
        return int(state[0] or 0), int(history[0])

    def backend_pids(self) -> list[int]:
        """PostgreSQL backends serving the bench database (not this probe's own)."""
        if self.backend == "sqlite":
            return []
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        self.conn.close()


def _libpq_url(sqlalchemy_url: str) -> str:
    from sqlalchemy.engine import make_url

    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def check_local(url: str) -> None:
    from sqlalchemy.engine import make_url

    host = make_url(url).host or "127.0.0.1"
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"refusing to benchmark against {host}: only 127.0.0.1 is allowed")


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database for the run on the server of `admin_url`, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    check_local(admin_url)
    name = f"ducha_bench_{os.getpid()}"
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_version(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    return f"PostgreSQL {row[0] if row else '?'} (synchronous_commit={sync[0] if sync else '?'})"


# --- HTTP clients ------------------------------------------------------------------------------


def _check(response: httpx.Response, expected: int, what: str) -> dict[str, Any]:
    if response.status_code != expected:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


def start_instance(client: httpx.Client, key: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/process-instances", json={"process_key": key, "variables": START_VARS[key]}
    )
    elapsed = time.perf_counter() - started
    return _check(response, 201, f"start {key}"), elapsed


def complete_task(
    client: httpx.Client, task_id: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"variables": variables})
    elapsed = time.perf_counter() - started
    return _check(response, 200, f"complete {task_id}"), elapsed


def run_parallel(n: int, work: Callable[[int], Any]) -> tuple[list[Any], float]:
    """Run work(0..n-1) in n threads released together; (results, wall seconds)."""
    barrier = threading.Barrier(n + 1)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=3600)
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return results, wall


def lifecycle(
    server: Server,
    key: str,
    clients: list[httpx.Client],
    per_client: int,
    probe: DbProbe | None = None,
) -> dict[str, Any]:
    """Phase 1: every client starts its instances; phase 2: every client completes all their tasks.

    Each client owns its instances (no conflicts). instances/s = instances / (both phases);
    completions/s and the latency figures come from phase 2 alone.
    """
    n = len(clients)

    def starts(index: int) -> tuple[list[tuple[str, list[str]]], list[float]]:
        out, latencies = [], []
        for _ in range(per_client):
            detail, elapsed = start_instance(clients[index], key)
            out.append((detail["id"], [t["id"] for t in detail["ready_tasks"]]))
            latencies.append(elapsed)
        return out, latencies

    def completions(index: int, owned: list[tuple[str, list[str]]]) -> list[float]:
        latencies = []
        for instance_id, ready in owned:
            detail: dict[str, Any] = {"status": "running"}
            for _guard in range(1000):
                if not ready:
                    break
                detail, elapsed = complete_task(clients[index], ready[0], TASK_VARS[key])
                latencies.append(elapsed)
                ready = [t["id"] for t in detail["ready_tasks"]]
            if detail["status"] != "completed":
                raise BenchError(f"{key} instance {instance_id} ended as {detail['status']}")
        return latencies

    meter = CpuMeter(server, probe)
    snap0 = meter.snapshot()
    started, t_start = run_parallel(n, starts)
    snap1 = meter.snapshot()
    done, t_complete = run_parallel(n, lambda i: completions(i, started[i][0]))
    snap2 = meter.snapshot()
    cpu0, cpu1, cpu2 = snap0["server"], snap1["server"], snap2["server"]
    start_lat = [x for _, lat in started for x in lat]
    compl_lat = [x for lat in done for x in lat]
    instances = n * per_client
    first_instance = started[0][0][0][0]
    return {
        "process": key,
        "clients": n,
        "instances": instances,
        "completions": len(compl_lat),
        "instances_per_s": instances / (t_start + t_complete),
        "starts_per_s": instances / t_start,
        "completions_per_s": len(compl_lat) / t_complete,
        "start": describe(start_lat),
        "completion": describe(compl_lat),
        "server_cpu_ms_per_completion": (cpu2 - cpu1) / max(1, len(compl_lat)) * 1000,
        "server_cpu_ms_per_start": (cpu1 - cpu0) / max(1, instances) * 1000,
        "db_cpu_ms_per_completion": (snap2["db"] - snap1["db"]) / max(1, len(compl_lat)) * 1000,
        "cores": CpuMeter.cores(snap1, snap2),
        "first_instance": first_instance,
    }


class LoopInstance:
    """One review-loop instance driven over HTTP: `complete()` sends done=False and follows it."""

    def __init__(self, client: httpx.Client):
        self.client = client
        detail, _ = start_instance(client, KEY_LOOP)
        self.id: str = detail["id"]
        self.task_id: str = detail["ready_tasks"][0]["id"]
        self.done = 0

    def complete(self, timed: list[float] | None = None) -> None:
        body, elapsed = complete_task(self.client, self.task_id, TASK_VARS[KEY_LOOP])
        if body["status"] != "running" or len(body["ready_tasks"]) != 1:
            raise BenchError(f"loop stopped after {self.done + 1} completions: {body['status']}")
        self.task_id = body["ready_tasks"][0]["id"]
        self.done += 1
        if timed is not None:
            timed.append(elapsed)

    def finish(self) -> None:
        final, _ = complete_task(self.client, self.task_id, {"done": True})
        self.done += 1
        if final["status"] != "completed":
            raise BenchError(f"loop did not complete after done=True: {final['status']}")


def review_loop(server: Server, probe: DbProbe, counts: Counts) -> dict[str, Any]:
    """One instance of the review loop: time completions after each mark; read the state size.

    Then, as a check that is robust to noise from other work on the machine, the old instance
    and a fresh one are completed alternately in blocks of 10 and their latencies compared.
    """
    marks = []
    with http_client(server.base_url) as client:
        old = LoopInstance(client)
        for mark in counts.loop_marks:
            while old.done < mark:
                old.complete()
            state_bytes, history_rows = probe.instance_size(old.id)
            latencies: list[float] = []
            for _ in range(counts.loop_timed):
                old.complete(latencies)
            listing: list[float] = []
            for _ in range(counts.list_samples):
                started = time.perf_counter()
                response = client.get("/api/v1/tasks", params={"process_instance_id": old.id})
                listing.append(time.perf_counter() - started)
                items = _check(response, 200, "list tasks")["items"]
                if len(items) != 1:
                    raise BenchError(f"task list of the loop has {len(items)} ready tasks")
            marks.append(
                {
                    "completed": mark,
                    "completion": describe(latencies),
                    "list": describe(listing),
                    "state_bytes": state_bytes,
                    "history_rows": history_rows,
                }
            )
        fresh = LoopInstance(client)
        interleaved: dict[str, list[float]] = {"old": [], "fresh": []}
        round_ratios: list[float] = []
        old_from = old.done
        for _ in range(counts.interleave_rounds):
            blocks: dict[str, list[float]] = {"old": [], "fresh": []}
            for name, instance in (("fresh", fresh), ("old", old)):
                instance.complete()  # the first after a switch is not counted
                for _ in range(10):
                    instance.complete(blocks[name])
                interleaved[name].extend(blocks[name])
            round_ratios.append(quantile(blocks["old"], 0.5) / quantile(blocks["fresh"], 0.5))
        check = {
            "old_from": old_from,
            "old_to": old.done,
            "fresh_to": fresh.done,
            "old": describe(interleaved["old"]),
            "fresh": describe(interleaved["fresh"]),
            "round_ratios": round_ratios,
            "ratio": quantile(round_ratios, 0.5),
        }
        old.finish()
        fresh.finish()
    return {
        "instance": old.id,
        "marks": marks,
        "interleaved": check,
        "total_completions": old.done,
    }


class FloorServer(Server):
    """uvicorn bench.floor_app:app: the hand-written completion floor, on the run's database."""

    def __init__(self, database_url: str, log_dir: Path):
        super().__init__(database_url, log_dir, log_dir, cache_size=None)
        self.command[self.command.index("app.main:app")] = "bench.floor_app:app"

    def start(self) -> None:
        env = dict(os.environ, DUCHA_FLOOR_DATABASE_URL=_libpq_url(self.database_url))
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command,
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(f"the floor server exited:\n{self.log_tail()}")
                try:
                    if client.get("/openapi.json").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise BenchError(f"the floor server did not start:\n{self.log_tail()}")


def floor_lifecycle(server: Server, clients: list[httpx.Client], per_client: int) -> dict[str, Any]:
    """The hand-written floor with the same clients and phases as `lifecycle` (five_steps)."""
    body = {"variables": TASK_VARS[KEY_FIVE]}

    def starts(index: int) -> list[tuple[str, list[str]]]:
        out = []
        for _ in range(per_client):
            response = clients[index].post("/floor/start", json={"variables": START_VARS[KEY_FIVE]})
            detail = _check(response, 200, "floor start")
            out.append((detail["id"], detail["ready_tasks"]))
        return out

    def completions(index: int, owned: list[tuple[str, list[str]]]) -> list[float]:
        latencies = []
        for instance_id, ready in owned:
            for _guard in range(100):
                if not ready:
                    break
                started = time.perf_counter()
                response = clients[index].post(
                    f"/floor/{instance_id}/tasks/{ready[0]}/complete", json=body
                )
                latencies.append(time.perf_counter() - started)
                ready = _check(response, 200, "floor complete")["ready_tasks"]
        return latencies

    meter = CpuMeter(server, None)
    started, _ = run_parallel(len(clients), starts)
    snap1 = meter.snapshot()
    done, t_complete = run_parallel(len(clients), lambda i: completions(i, started[i]))
    snap2 = meter.snapshot()
    latencies = [x for lat in done for x in lat]
    return {
        "clients": len(clients),
        "completions": len(latencies),
        "completions_per_s": len(latencies) / t_complete,
        "completion": describe(latencies),
        "server_cpu_ms_per_completion": (snap2["server"] - snap1["server"])
        / max(1, len(latencies))
        * 1000,
        "cores": CpuMeter.cores(snap1, snap2),
    }


def floor_bench(database_url: str, work_dir: Path, counts: Counts, n_clients: int) -> dict:
    """The hand-written floor over HTTP, 1 and N clients (PostgreSQL only)."""
    server = FloorServer(database_url, work_dir)
    log("postgresql: the hand-written completion floor (bench/floor_app.py)")
    results = []
    try:
        server.start()
        for clients, per_client in (
            (1, counts.warm_five),
            (1, counts.five_1),
            (n_clients, counts.five_n),
        ):
            pool = [http_client(server.base_url) for _ in range(clients)]
            try:
                results.append(floor_lifecycle(server, pool, per_client))
            finally:
                for client in pool:
                    client.close()
    finally:
        server.stop()
    return {"one": results[1], "many": results[2]}


def health_latency(server: Server, n: int) -> dict[str, float]:
    """GET /health: HTTP, FastAPI, the middleware and one pooled SELECT 1 — the request floor."""
    latencies = []
    with http_client(server.base_url) as client:
        for _ in range(20):
            client.get("/health")
        for _ in range(n):
            started = time.perf_counter()
            response = client.get("/health")
            latencies.append(time.perf_counter() - started)
            _check(response, 200, "health")
    return describe(latencies)


def warm_up(server: Server, counts: Counts, clients: int) -> None:
    """Untimed: first requests, connection pools, thread pool, spec cache, code paths."""
    pool = [http_client(server.base_url) for _ in range(clients)]
    try:
        lifecycle(server, KEY_FIVE, pool[:1], counts.warm_five)
        lifecycle(server, KEY_FAN, pool[:1], counts.warm_fan)
        lifecycle(server, KEY_FIVE, pool, 2)
        with http_client(server.base_url) as client:
            detail, _ = start_instance(client, KEY_LOOP)
            task_id = detail["ready_tasks"][0]["id"]
            for _ in range(counts.warm_loop):
                body, _ = complete_task(client, task_id, TASK_VARS[KEY_LOOP])
                task_id = body["ready_tasks"][0]["id"]
            complete_task(client, task_id, {"done": True})
    finally:
        for client in pool:
            client.close()


def bench_backend(
    backend: str, database_url: str, work_dir: Path, counts: Counts, n_clients: int
) -> dict[str, Any]:
    """Everything over HTTP on one backend: warm cache runs, the loop, then cache-off runs."""
    processes = work_dir / "processes"
    processes.mkdir(exist_ok=True)
    for path in BPMN_FILES:
        shutil.copy(path, processes / path.name)
    result: dict[str, Any] = {"backend": backend, "runs": [], "loop": None, "state_sizes": {}}
    probe: DbProbe | None = None

    def run(server: Server, key: str, clients: int, per_client: int, cache: str) -> None:
        log(f"{backend}: {LABELS[key]}, {clients} client(s), cache {cache}")
        pool = [http_client(server.base_url) for _ in range(clients)]
        try:
            row = lifecycle(server, key, pool, per_client, probe)
        finally:
            for client in pool:
                client.close()
        row["cache"] = cache
        result["runs"].append(row)
        if probe is not None and key not in result["state_sizes"]:
            result["state_sizes"][key] = probe.instance_size(row["first_instance"])[0]

    server = Server(database_url, processes, work_dir, cache_size=None)
    log(f"{backend}: starting {' '.join(server.command[1:])}")
    try:
        server.start()
        probe = DbProbe(backend, database_url)
        warm_up(server, counts, n_clients)
        result["health"] = health_latency(server, 200 if counts is FULL else 50)
        run(server, KEY_FIVE, 1, counts.five_1, "on")
        run(server, KEY_FAN, 1, counts.fan_1, "on")
        run(server, KEY_FIVE, n_clients, counts.five_n, "on")
        run(server, KEY_FAN, n_clients, counts.fan_n, "on")
        log(f"{backend}: review loop to {counts.loop_marks[-1]} completed tasks")
        result["loop"] = review_loop(server, probe, counts)
    finally:
        server.stop()
    # The same service with the warm workflow cache off: every completion deserializes the state.
    server = Server(database_url, processes, work_dir, cache_size=0)
    try:
        server.start()
        warm_up(server, dataclass_replace(counts, warm_loop=2), n_clients)
        run(server, KEY_FIVE, 1, counts.cold_five_1, "off")
        run(server, KEY_FIVE, n_clients, counts.cold_five_n, "off")
    finally:
        server.stop()
        if probe is not None:
            probe.close()
    return result


def dataclass_replace(counts: Counts, **changes: Any) -> Counts:
    return Counts(**{**asdict(counts), **changes})


# --- report ------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    return "\n".join([line, rule, *body])


def f0(x: float) -> str:
    return f"{x:,.0f}"


def f1(x: float) -> str:
    return f"{x:,.1f}"


def f2(x: float) -> str:
    return f"{x:,.2f}"


def report(results: dict[str, Any]) -> str:
    out: list[str] = []
    meta = results["meta"]
    out.append("Ducha engine benchmark")
    out.append(f"  date        {meta['date']}")
    out.append(f"  command     {meta['command']}")
    out.append(f"  machine     {meta['cores']} cores, {meta['platform']}, Python {meta['python']}")
    out.append(f"  SpiffWorkflow {meta['spiff']}; {meta.get('postgres', 'PostgreSQL not used')}")
    out.append(
        f"  load avg    start {meta['load_start']}  end {meta.get('load_end', '?')}"
        "  (other work on the machine makes figures noisy)"
    )
    out.append(
        f"  mode        {'quick' if meta['quick'] else 'full'}; "
        f"{meta['clients']} concurrent clients"
    )
    raw = results["raw"]
    out.append("")
    out.append(
        "1. Raw SpiffWorkflow in memory (parse once; data.update + run() + do_engine_steps())"
    )
    rows = []
    for key, r in ((KEY_FIVE, raw["five"]), (KEY_FAN, raw["fan"])):
        c = r["completion"]
        rows.append(
            [
                LABELS[key],
                f0(r["instances"]),
                f0(r["instances_per_s"]),
                f0(r["completions_per_s"]),
                f0(r["us_per_completion"]),
                f0(c["p50"] * 1000),
                f0(c["p95"] * 1000),
            ]
        )
    out.append(
        table(["process", "instances", "inst/s", "compl/s", "µs/compl", "p50 µs", "p95 µs"], rows)
    )
    loop = raw["loop"]
    parts = [f"after {m}: p50 {f0(d['p50'] * 1000)} µs" for m, d in sorted(loop["marks"].items())]
    stall = (
        f"; the unpruned loop stalls at pass {loop['stalled_at']} (iteration depth limit)"
        if loop["stalled_at"] is not None
        else ""
    )
    out.append(
        f"  review loop, no pruning ({loop['timed']} timed per mark): {'; '.join(parts)}{stall}"
    )

    for backend in results["backends"]:
        name = backend["backend"]
        out.append("")
        out.append(f"2. Service over HTTP, one uvicorn process — {name}")
        rows = []
        for r in backend["runs"]:
            base = raw["five"] if r["process"] == KEY_FIVE else raw["fan"]
            base_inst, base_compl = base["instances_per_s"], base["completions_per_s"]
            c = r["completion"]
            rows.append(
                [
                    LABELS[r["process"]],
                    str(r["clients"]),
                    r["cache"],
                    f"{f0(r['instances_per_s'])} ({r['instances_per_s'] / base_inst:.1%})",
                    f"{f0(r['completions_per_s'])} ({r['completions_per_s'] / base_compl:.1%})",
                    f"{f2(c['p50'])} ({c['p50'] / base['completion']['p50']:.0f}×)",
                    f"{f2(c['p95'])} ({c['p95'] / base['completion']['p95']:.0f}×)",
                    f2(r["start"]["p50"]),
                    f2(r["server_cpu_ms_per_completion"]),
                    "/".join(f"{r['cores'][k]:.2f}" for k in ("server", "db", "client", "other")),
                ]
            )
        out.append(
            table(
                [
                    "process",
                    "clients",
                    "cache",
                    "inst/s (% raw)",
                    "compl/s (% raw)",
                    "p50 ms (× raw)",
                    "p95 ms (× raw)",
                    "start p50",
                    "srv CPU ms/compl",
                    "cores srv/db/cli/other",
                ],
                rows,
            )
        )
        health = backend["health"]
        out.append(
            f"  HTTP + framework + pool floor of this server: GET /health (SELECT 1) p50 "
            f"{health['p50']:.2f} ms, p95 {health['p95']:.2f} ms"
        )
        out.append(
            "  inst/s = instances / (start phase + completion phase); compl/s, p50 and p95 from "
            "the completion phase;\n  cores = average cores used during the completion phase by "
            "the server process / its database backends / the bench clients / other work on "
            "the machine (noise)"
        )
        sizes = ", ".join(f"{LABELS[k]} {v:,} B" for k, v in backend["state_sizes"].items())
        out.append(f"  stored state after start: {sizes}")
        loop_result = backend["loop"]
        out.append("")
        out.append(f"3. One completion vs history (review loop, one instance, 1 client) — {name}")
        rows = []
        for m in loop_result["marks"]:
            c = m["completion"]
            rows.append(
                [
                    f0(m["completed"]),
                    f2(c["mean"]),
                    f2(c["p50"]),
                    f2(c["p95"]),
                    f2(m["list"]["p50"]),
                    f"{m['state_bytes']:,}",
                    f"{m['history_rows']:,}",
                ]
            )
        out.append(
            table(
                [
                    "completed tasks",
                    "mean ms",
                    "p50 ms",
                    "p95 ms",
                    "list p50 ms",
                    "state bytes",
                    "history rows",
                ],
                rows,
            )
        )
        first, last = loop_result["marks"][0], loop_result["marks"][-1]
        out.append(
            f"  at {last['completed']:,} vs at {first['completed']}: p50 "
            f"{last['completion']['p50'] / first['completion']['p50']:.2f}×, mean "
            f"{last['completion']['mean'] / first['completion']['mean']:.2f}×; "
            f"the instance completed after {loop_result['total_completions']:,} completions"
        )
        check = loop_result["interleaved"]
        out.append(
            f"  interleaved check ({len(check['round_ratios'])} rounds, a block of 10 each): the "
            f"old instance (completions {check['old_from']:,}–{check['old_to']:,}) p50 "
            f"{check['old']['p50']:.2f} ms vs a fresh one (1–{check['fresh_to']}) p50 "
            f"{check['fresh']['p50']:.2f} ms; median of the per-round ratios {check['ratio']:.2f}× "
            f"(rounds: {', '.join(f'{r:.2f}' for r in check['round_ratios'])})"
        )

    floor = results.get("floor")
    if floor:
        out.append("")
        out.append(
            "Hand-written completion floor, this run (bench/floor_app.py: HTTP + read + "
            "deserialize + step + serialize + 3 writes + commit, raw psycopg, no auth/audit)"
        )
        rows = []
        for r in (floor["one"], floor["many"]):
            c = r["completion"]
            rows.append(
                [
                    str(r["clients"]),
                    f0(r["completions_per_s"]),
                    f2(c["p50"]),
                    f2(c["p95"]),
                    f2(r["server_cpu_ms_per_completion"]),
                    "/".join(f"{r['cores'][k]:.2f}" for k in ("server", "client", "other")),
                ]
            )
        out.append(
            table(
                [
                    "clients",
                    "compl/s",
                    "p50 ms",
                    "p95 ms",
                    "srv CPU ms/compl",
                    "cores srv/cli/other",
                ],
                rows,
            )
        )
    out.append("")
    out.append("4. Summary against the aims (PostgreSQL, one service process, workflow cache on)")
    out.extend(summary(results))
    return "\n".join(out)


def _find(
    backend: dict[str, Any], key: str, clients: int, cache: str = "on"
) -> dict[str, Any] | None:
    for r in backend["runs"]:
        if r["process"] == key and r["clients"] == clients and r["cache"] == cache:
            return r
    return None


def summary(results: dict[str, Any]) -> list[str]:
    by_name = {b["backend"]: b for b in results["backends"]}
    n = results["meta"]["clients"]
    rows = []
    verdicts = []

    def add(aim: str, measured: float | None, ok: bool | None, text: str) -> None:
        verdict = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        verdicts.append(verdict)
        rows.append([aim, text if measured is not None else "not measured", verdict])

    for name in ("postgresql", "sqlite"):
        backend = by_name.get(name)
        if backend is None:
            continue
        tag = "" if name == "postgresql" else " [SQLite, for information]"
        one = _find(backend, KEY_FIVE, 1)
        many = _find(backend, KEY_FIVE, n)
        limit = FLOOR_P50_MS * FLOOR_FACTOR
        if one:
            p50 = one["completion"]["p50"]
            add(
                f"completion p50 ≤ {FLOOR_FACTOR}× floor {FLOOR_P50_MS} ms = {limit:.1f} ms{tag}",
                p50,
                p50 <= limit if name == "postgresql" else None,
                f"{p50:.2f} ms ({p50 / FLOOR_P50_MS:.2f}× floor)",
            )
        floor = results.get("floor")
        if one and floor and name == "postgresql":
            # The speed issue's aims: ratios to the floor measured in this same run.
            p50, measured_floor = one["completion"]["p50"], floor["one"]["completion"]["p50"]
            add(
                f"completion p50 ≤ {RUN_FLOOR_P50}× the floor measured in this run "
                f"({measured_floor:.2f} ms)",
                p50,
                p50 <= RUN_FLOOR_P50 * measured_floor,
                f"{p50:.2f} ms ({p50 / measured_floor:.2f}× this run's floor)",
            )
            cpu, floor_cpu = (
                one["server_cpu_ms_per_completion"],
                floor["one"]["server_cpu_ms_per_completion"],
            )
            share = ratio(cpu, floor_cpu)
            add(
                f"server CPU per completion ≤ {RUN_FLOOR_CPU}× the floor's ({floor_cpu:.2f} ms)",
                cpu,
                None if math.isnan(share) else share <= RUN_FLOOR_CPU,
                f"{cpu:.2f} ms ({share:.2f}× the floor's)"
                if not math.isnan(share)
                else f"{cpu:.2f} ms (the floor's CPU was below the 10 ms clock: not measured)",
            )
        if many and floor and name == "postgresql":
            rate, floor_rate = many["completions_per_s"], floor["many"]["completions_per_s"]
            add(
                f"completions/s with {n} clients ≥ {RUN_FLOOR_RATE}× the floor's "
                f"({floor_rate:,.0f}/s)",
                rate,
                rate >= RUN_FLOOR_RATE * floor_rate,
                f"{rate:,.0f}/s ({rate / floor_rate:.2f}× the floor's)",
            )
        if many:
            rate = many["completions_per_s"]
            add(
                f"≥ {AIM_CLIENTS_THROUGHPUT:.0f} completions/s with {n} clients{tag}",
                rate,
                rate >= AIM_CLIENTS_THROUGHPUT if name == "postgresql" and n == 8 else None,
                f"{rate:,.0f}/s",
            )
        if one:
            rate = one["completions_per_s"]
            need = ARENA_PG_1CLIENT * ARENA_FACTOR
            add(
                f"≥ {ARENA_FACTOR:.0f}× spiff-arena ({ARENA_PG_1CLIENT}/s, 1 client) "
                f"= {need:.0f}/s{tag}",
                rate,
                rate >= need if name == "postgresql" else None,
                f"{rate:,.0f}/s ({rate / ARENA_PG_1CLIENT:.0f}× arena)",
            )
        loop = backend["loop"]
        if loop:
            first, last = loop["marks"][0], loop["marks"][-1]
            growth = last["completion"]["p50"] / first["completion"]["p50"]
            check = loop["interleaved"]
            interleaved = check["ratio"]
            at = last["completed"]
            add(
                f"completion at {at:,} completed ≤ {FLAT_FACTOR}× at "
                f"{first['completed']} (p50){tag}",
                growth,
                growth <= FLAT_FACTOR if name == "postgresql" and at >= 1000 else None,
                f"{growth:.2f}× ({first['completion']['p50']:.2f} → "
                f"{last['completion']['p50']:.2f} ms; interleaved {interleaved:.2f}×)",
            )
    lines = [table(["aim", "measured", "verdict"], rows)] if rows else ["  (no backend measured)"]
    if results["meta"]["quick"]:
        lines.append("  --quick: the flatness aim needs the 1,000 mark; its verdict is n/a here.")
    lines.append(
        "  The verdict uses the sequential marks (as the aim is worded); `interleaved` is the "
        "median per-round ratio of the old instance to a fresh one completed alternately, which "
        "is more robust to machine noise."
    )
    return lines


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small counts (~1 minute), for CI smoke"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server (on 127.0.0.1) where the run creates and drops its own database",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be between 1 and 64")
    counts = QUICK if args.quick else FULL
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends:
        check_local(args.postgres_url)

    command = " ".join(
        ["python -m bench.engine_bench", *(argv if argv is not None else sys.argv[1:])]
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": command.strip(),
            "cores": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "python": platform.python_version(),
            "quick": args.quick,
            "clients": args.clients,
            "load_start": load,
        },
        "backends": [],
    }
    started = time.perf_counter()
    log("raw SpiffWorkflow in memory")
    results["raw"] = raw_bench(counts)
    results["meta"]["spiff"] = results["raw"]["spiff_version"]
    work = Path(tempfile.mkdtemp(prefix="ducha-bench-"))
    try:
        for backend in backends:
            if backend == "sqlite":
                directory = work / "sqlite"
                directory.mkdir()
                url = f"sqlite:///{directory / 'ducha.db'}"
                results["backends"].append(
                    bench_backend(backend, url, directory, counts, args.clients)
                )
            else:
                results["meta"]["postgres"] = postgres_version(args.postgres_url)
                directory = work / "postgresql"
                directory.mkdir()
                with postgres_database(args.postgres_url) as url:
                    results["backends"].append(
                        bench_backend(backend, url, directory, counts, args.clients)
                    )
                    results["floor"] = floor_bench(url, directory, counts, args.clients)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["meta"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["meta"]["seconds"] = time.perf_counter() - started
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    print(report(results))
    print(f"\n(run took {results['meta']['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
