"""Several service processes on one PostgreSQL under load and faults: nothing lost, timers once
(issue: durability and scale-out). Real uvicorn processes on free ports, real PostgreSQL."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import truncate_all
from serviceproc import ROOT, SECRET, ServiceProcess
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.engine.persist.models import HistoryEvent, Job, ProcessInstance, TaskRecord
from app.engine.runtime import engine as runtime
from app.engine.runtime import projection
from app.main import build_runtime

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow
TIMERS = int(os.environ.get("DUCHA_SCALE_TIMERS", "10000"))


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    """The run's PostgreSQL database, emptied (these tests need several processes on it)."""
    truncate_all(postgres_database)
    return postgres_database


@pytest.fixture
def processes(tmp_path: Path) -> Path:
    directory = tmp_path / "processes"
    directory.mkdir()
    for name in ("parallel_four.bpmn", "timed_notice.bpmn"):
        shutil.copy(HERE / "bpmn" / name, directory)
    return directory


@pytest.fixture
def two_services(pg_url: str, processes: Path) -> Iterator[list[ServiceProcess]]:
    # The first migrates and deploys; the second finds both done.
    first = ServiceProcess(pg_url, processes).start()
    second = ServiceProcess(pg_url, processes).start()
    yield [first, second]
    for service in (first, second):
        service.stop()


def _complete(http: httpx.Client, task_id: str, key: str | None = None) -> httpx.Response:
    """Complete a task; a 409 concurrent_update (optimistic locking gave up) is tried again."""
    headers = {"Idempotency-Key": key} if key else {}
    for _ in range(20):
        response = http.post(
            f"/api/v1/tasks/{task_id}/complete", json={"variables": {}}, headers=headers
        )
        if response.status_code != 409 or response.json()["code"] != "concurrent_update":
            return response
        time.sleep(0.01)
    return response


@contextmanager
def rt_session(url: str) -> Iterator[Session]:
    """A session on the test's PostgreSQL, outside the service processes."""
    rt = build_runtime(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        with rt.db.session() as session:
            yield session
    finally:
        rt.db.engine.dispose()


def _engine_agrees_with_projection(url: str, instance_ids: list[str]) -> None:
    """The task table holds exactly the engine's ready tasks; history has every completion."""
    rt = build_runtime(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        with rt.db.session() as session:
            for instance_id in instance_ids:
                iid = uuid.UUID(instance_id)
                loaded = runtime.load(rt.engine, session, iid)
                engine_ready = {t.id for t in projection.ready_human_tasks(loaded.workflow)}
                table_ready = set(
                    session.scalars(
                        select(TaskRecord.id).where(
                            TaskRecord.instance_id == iid, TaskRecord.state == "ready"
                        )
                    )
                )
                assert engine_ready == table_ready, instance_id
                done = session.scalar(
                    select(func.count()).where(
                        HistoryEvent.instance_id == iid, HistoryEvent.event == "task_completed"
                    )
                )
                completed = session.scalar(
                    select(func.count()).where(
                        TaskRecord.instance_id == iid, TaskRecord.state == "completed"
                    )
                )
                assert done == completed, instance_id
    finally:
        rt.db.engine.dispose()


def test_32_clients_on_two_processes_complete_parallel_tasks_without_losing_one(two_services):
    first, second = two_services
    with first.client() as http:
        instances = [
            http.post("/api/v1/process-instances", json={"process_key": "parallel_four"}).json()
            for _ in range(16)
        ]
    tasks = [t["id"] for i in instances for t in i["ready_tasks"]]
    assert len(tasks) == 64
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def work(index: int) -> None:
        service = two_services[index % 2]
        with service.client() as http:
            for task_id in tasks[index::32]:
                response = _complete(http, task_id)
                with lock:
                    statuses[response.status_code] += 1

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(work, range(32)))
    assert statuses == Counter({200: 64}), statuses
    ids = [i["id"] for i in instances]
    with second.client() as http:
        for instance_id in ids:
            detail = http.get(f"/api/v1/process-instances/{instance_id}").json()
            assert [t["element_id"] for t in detail["ready_tasks"]] == ["summary"]
            assert detail["status"] == "running"
    _engine_agrees_with_projection(first.env["DUCHA_DATABASE_URL"], ids)


def test_kill_9_during_load_keeps_every_acknowledged_request_and_fires_timers_once(
    pg_url, processes
):
    first = ServiceProcess(pg_url, processes).start()
    second = ServiceProcess(pg_url, processes).start()
    services = [first, second]
    try:
        due = (datetime.now(UTC) + timedelta(seconds=6)).isoformat()
        with first.client() as http:
            work_items = [
                http.post("/api/v1/process-instances", json={"process_key": "parallel_four"}).json()
                for _ in range(24)
            ]
            timed = [
                http.post(
                    "/api/v1/process-instances",
                    json={"process_key": "timed_notice", "variables": {"due": due}},
                ).json()["id"]
                for _ in range(20)
            ]
        tasks = [t["id"] for i in work_items for t in i["ready_tasks"]]
        acknowledged: set[str] = set()
        lost_answers: set[str] = set()
        errors: Counter[str] = Counter()
        lock = threading.Lock()
        killed = threading.Event()

        def work(index: int) -> None:
            for task_id in tasks[index::16]:
                key = f"complete-{task_id}"
                for attempt in range(60):
                    # Half the clients start on the process that will be killed.
                    service = services[(index + attempt) % 2]
                    try:
                        with service.client() as http:
                            response = _complete(http, task_id, key)
                    except httpx.TransportError:
                        with lock:
                            errors["connection"] += 1
                        time.sleep(0.1)
                        continue
                    with lock:
                        if response.status_code == 200:
                            acknowledged.add(task_id)
                        elif response.json().get("code") in (
                            "idempotency_key_in_flight",
                            "idempotency_answer_lost",
                        ):
                            lost_answers.add(task_id)  # committed; its answer died with it
                        else:
                            errors[f"{response.status_code} {response.json()['code']}"] += 1
                    if response.status_code == 200 or task_id in lost_answers:
                        break
                    time.sleep(0.05)
                if index == 0 and not killed.is_set() and len(acknowledged) > 30:
                    first.kill()
                    killed.set()

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(work, range(16)))
        assert killed.is_set()
        assert not any(e.startswith("5") for e in errors), errors
        assert acknowledged | lost_answers == set(tasks), errors
        first.start()
        with second.client() as http:
            for instance in work_items:
                detail = http.get(f"/api/v1/process-instances/{instance['id']}").json()
                assert [t["element_id"] for t in detail["ready_tasks"]] == ["summary"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = {
                    http.get(f"/api/v1/process-instances/{i}").json()["status"] for i in timed
                }
                if states == {"completed"}:
                    break
                time.sleep(0.5)
            assert states == {"completed"}
        _engine_agrees_with_projection(pg_url, [i["id"] for i in work_items] + timed)
        rt = build_runtime(Settings(database_url=pg_url, _env_file=None))  # type: ignore[call-arg]
        with rt.db.session() as session:
            fired = Counter(
                session.scalars(
                    select(HistoryEvent.instance_id).where(HistoryEvent.event == "timer_fired")
                )
            )
        rt.db.engine.dispose()
        assert {str(k): v for k, v in fired.items()} == dict.fromkeys(timed, 1)
    finally:
        for service in services:
            service.stop()


def _scheduler_process(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DUCHA_DATABASE_URL": url,
        "DUCHA_JWT_SECRET": SECRET,
        "DUCHA_SCHEDULER_INTERVAL_SECONDS": "0.2",
        "DUCHA_SCHEDULER_BATCH_SIZE": "100",
        "DUCHA_MIGRATE_ON_STARTUP": "false",
    }
    return subprocess.Popen([sys.executable, "-m", "app.cli", "scheduler"], cwd=ROOT, env=env)


def test_ten_thousand_timers_in_one_minute_fire_once_with_two_schedulers(pg_url, processes):
    services = [
        ServiceProcess(pg_url, processes, DUCHA_SCHEDULER_ENABLED="false").start(),
        ServiceProcess(pg_url, processes, DUCHA_SCHEDULER_ENABLED="false").start(),
    ]
    schedulers = [_scheduler_process(pg_url) for _ in range(2)]
    try:
        local = threading.local()

        def start(index: int, key: str, variables: dict[str, str]) -> str:
            if not hasattr(local, "http"):
                local.http = services[index % 2].client()
            body = {"process_key": key, "variables": variables}
            # As a client should (README, "When the database fails"): a request cut off in
            # transit (here a kept-alive connection the loaded server closed as it was reused)
            # is sent again with its Idempotency-Key; it is never started twice.
            headers = {"Idempotency-Key": f"start-{key}-{index}"}
            try:
                response = local.http.post("/api/v1/process-instances", json=body, headers=headers)
            except httpx.TransportError:
                response = local.http.post("/api/v1/process-instances", json=body, headers=headers)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        with ThreadPoolExecutor(16) as pool:
            # A warm-up of other instances measures the rate that places the minute after
            # creation; the timers are created while the schedulers run.
            warm_up = max(100, TIMERS // 20)
            began = time.monotonic()
            list(pool.map(start, range(warm_up), ["parallel_four"] * warm_up, [{}] * warm_up))
            rate = warm_up / (time.monotonic() - began)
            begin = datetime.now(UTC) + timedelta(seconds=1.3 * TIMERS / rate + 5)
            dues = [
                {"due": (begin + timedelta(seconds=60 * i / TIMERS)).isoformat()}
                for i in range(TIMERS)
            ]
            created_at = time.monotonic()
            ids = list(pool.map(start, range(TIMERS), ["timed_notice"] * TIMERS, dues))
            created_in = time.monotonic() - created_at
            slack = (begin - datetime.now(UTC)).total_seconds()
        rt = build_runtime(Settings(database_url=pg_url, _env_file=None))  # type: ignore[call-arg]
        deadline = time.monotonic() + 600
        try:
            while time.monotonic() < deadline:
                with rt.db.session() as session:
                    left = session.scalar(select(func.count()).select_from(Job))
                if left == 0:
                    break
                time.sleep(1)
            with rt.db.session() as session:
                rows = session.execute(
                    select(HistoryEvent.instance_id, HistoryEvent.at, HistoryEvent.data).where(
                        HistoryEvent.event == "timer_fired"
                    )
                ).all()
                completed = session.scalar(
                    select(func.count()).where(ProcessInstance.status == "completed")
                )
        finally:
            rt.db.engine.dispose()
        per_instance = Counter(str(r.instance_id) for r in rows)
        assert len(per_instance) == TIMERS and set(per_instance.values()) == {1}
        assert set(per_instance) == set(ids)
        assert completed == TIMERS
        lags = sorted(
            (r.at - datetime.fromisoformat(r.data["due_at"])).total_seconds() for r in rows
        )
        p50, p99 = lags[len(lags) // 2], lags[int(len(lags) * 0.99)]
        print(
            f"\n{TIMERS} timers: created in {created_in:.1f} s "
            f"({TIMERS / created_in:.0f}/s), {slack:.0f} s before the minute they are due in; "
            f"lag from due to fired p50 {p50:.2f} s, "
            f"p99 {p99:.2f} s, max {lags[-1]:.2f} s"
        )
        assert min(lags) >= 0  # never early
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        for process in schedulers:
            assert process.wait(30) == 0  # a graceful stop releases what it holds
        for service in services:
            service.stop()


def test_sigterm_lets_in_flight_requests_finish_and_releases_held_jobs(pg_url, processes):
    service = ServiceProcess(pg_url, processes).start()
    with service.client() as http:
        instances = [
            http.post("/api/v1/process-instances", json={"process_key": "parallel_four"}).json()
            for _ in range(12)
        ]
    tasks = [t["id"] for i in instances for t in i["ready_tasks"]]
    answered: dict[str, int] = {}
    cut: list[str] = []
    lock = threading.Lock()
    started = threading.Barrier(9)

    def work(index: int) -> None:
        started.wait()
        for task_id in tasks[index::8]:
            try:
                # A new connection per request: no keep-alive race with the closing server.
                with service.client() as http:
                    response = _complete(http, task_id, key=f"graceful-{task_id}")
            except httpx.TransportError:
                with lock:
                    cut.append(task_id)
                continue
            with lock:
                answered[task_id] = response.status_code

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(work, i) for i in range(8)]
        started.wait()
        time.sleep(0.3)
        assert service.process is not None
        service.process.send_signal(signal.SIGTERM)
        for future in futures:
            future.result()
    # uvicorn re-raises the signal once it has shut down gracefully.
    assert service.process.wait(40) in (0, -signal.SIGTERM)
    # Every answer given before the stop was a success; the rest were never let in.
    assert set(answered.values()) <= {200}, answered
    assert answered, "the stop came before any request"
    with rt_session(pg_url) as session:
        held = session.scalar(select(func.count()).where(Job.locked_by.is_not(None)))
        assert held == 0
    service.start()
    try:
        with service.client() as http:
            for task_id in cut:  # retried with the same key: done exactly once
                assert _complete(http, task_id, key=f"graceful-{task_id}").status_code == 200
            for instance in instances:
                detail = http.get(f"/api/v1/process-instances/{instance['id']}").json()
                assert [t["element_id"] for t in detail["ready_tasks"]] == ["summary"]
        _engine_agrees_with_projection(pg_url, [i["id"] for i in instances])
    finally:
        service.stop()
