"""Workers compete for external tasks (each done once), and the sample worker in examples/ runs
against a real service process."""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import jwt
import pytest
from external_helpers import (
    BPMN_DIR,
    EXT,
    deploy,
    fetch,
    instance,
    listed,
    outbox_types,
    start,
    worker_headers,
)
from fastapi.testclient import TestClient
from serviceproc import SECRET, ServiceProcess
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
TASKS = 20


def test_two_workers_compete_and_each_task_is_done_exactly_once(client: TestClient):
    # issue 8: "two workers compete for external tasks and each task is done once"
    assert deploy(client, "archive_document.bpmn").status_code == 201
    started = [start(client, "archive_document")["id"] for _ in range(TASKS)]
    token = client.app.state.authenticator.mint(  # type: ignore[attr-defined]
        sub="archive-system", name="档案系统", unit="320000-GO", roles=["worker"]
    )
    locked: list[tuple[str, str]] = []
    completed: list[tuple[str, str]] = []
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def work(worker: str) -> None:
        # Its own client (own event loop thread): the two really run concurrently.
        own = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
        barrier.wait()
        while True:
            body = {
                "worker_id": worker,
                "topics": [{"name": "archive", "lock_duration_ms": 60_000}],
                "max_tasks": 2,
            }
            response = own.post(f"{EXT}/fetch-and-lock", json=body)
            if response.status_code != 200:
                errors.append(response.text)
                return
            tasks = response.json()
            if not tasks:
                return
            for task in tasks:
                locked.append((worker, task["id"]))
                done = own.post(
                    f"{EXT}/{task['id']}/complete",
                    json={"worker_id": worker, "variables": {"archived_by": worker}},
                )
                if done.status_code != 200:
                    errors.append(done.text)
                else:
                    completed.append((worker, task["id"]))

    threads = [threading.Thread(target=work, args=(f"archiver-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    locks = Counter(task_id for _, task_id in locked)
    assert len(locks) == TASKS and set(locks.values()) == {1}  # never locked twice
    assert sorted(task_id for _, task_id in completed) == sorted(locks)
    for instance_id in started:
        detail = instance(client, instance_id)
        assert detail["status"] == "completed"
        assert detail["variables"]["archived_by"].startswith("archiver-")
        types = outbox_types(client, instance_id)
        assert types.count("external_task.locked") == 1
        assert types.count("external_task.completed") == 1
    assert listed(client) == []


def test_a_row_another_transaction_is_locking_is_skipped_not_waited_for(
    client: TestClient, database_url: str
):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer")
    deploy(client, "archive_document.bpmn")
    for _ in range(2):
        start(client, "archive_document")
    first, second = (row["id"] for row in listed(client))
    engine = create_engine(database_url)
    try:
        with engine.connect() as other:
            transaction = other.begin()
            # Another service process in the middle of locking `first`.
            other.execute(
                text("SELECT id FROM external_tasks WHERE id = :id FOR UPDATE"),
                {"id": uuid.UUID(first)},
            )
            started = time.monotonic()
            headers = worker_headers(client)
            tasks = fetch(client, "w", "archive", headers=headers)
            assert time.monotonic() - started < 5  # not blocked behind the other lock
            assert [t["id"] for t in tasks] == [second]
            transaction.rollback()
        (freed,) = fetch(client, "w2", "archive", headers=worker_headers(client))
        assert freed["id"] == first
    finally:
        engine.dispose()


def test_the_sample_worker_does_a_task_against_a_real_service(database_url: str):
    service = ServiceProcess(database_url, BPMN_DIR, DUCHA_SCHEDULER_ENABLED="false").start()
    try:
        office = service.client()
        response = office.post(
            "/api/v1/process-instances",
            json={
                "process_key": "notify_by_sms",
                "variables": {"phone": "13800000000", "message": "请于3月31日前报送办理情况"},
            },
        )
        assert response.status_code == 201, response.text
        instance_id = response.json()["id"]
        token = jwt.encode(
            {
                "sub": "worker-1",
                "name": "短信网关",
                "unit": "320000-GO",
                "roles": ["worker"],
                "exp": int(time.time()) + 600,
            },
            SECRET,
            algorithm="HS256",
        )
        env = {
            **os.environ,
            "DUCHA_URL": service.url,
            "DUCHA_TOKEN": token,
            "DUCHA_TOPIC": "sms",
            "DUCHA_WORKER_ID": f"sample-{uuid.uuid4().hex[:6]}",
            "DUCHA_POLL_SECONDS": "0.2",
        }
        run = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "external_worker.py"), "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert "SMS to 13800000000: 请于3月31日前报送办理情况" in run.stdout
        assert "completed" in run.stdout
        detail = office.get(f"/api/v1/process-instances/{instance_id}").json()
        assert detail["variables"]["sms_sent"] is True
        assert [t["element_id"] for t in detail["ready_tasks"]] == ["confirm_receipt"]
    finally:
        service.stop()
