"""Nothing acknowledged is lost: `kill -9` between completions, then a restart."""

import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from serviceproc import ServiceProcess
from sqlalchemy import create_engine, update

from app.engine.persist.models import Job

BPMN = Path(__file__).resolve().parents[1] / "engine" / "bpmn"

pytestmark = pytest.mark.slow


@pytest.fixture
def processes(tmp_path: Path) -> Path:
    directory = tmp_path / "processes"
    directory.mkdir()
    shutil.copy(BPMN / "five_steps.bpmn", directory)
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "processes", directory, dirs_exist_ok=True
    )
    return directory


def _ready(http, instance_id: str) -> list[dict]:
    return http.get("/api/v1/tasks", params={"process_instance_id": instance_id}).json()["items"]


def test_kill_between_completions_loses_nothing_acknowledged(database_url, processes):
    service = ServiceProcess(database_url, processes, DUCHA_SCHEDULER_ENABLED="false").start()
    try:
        with service.client() as http:
            started = http.post("/api/v1/process-instances", json={"process_key": "five_steps"})
            assert started.status_code == 201
            instance_id = started.json()["id"]
            for index in (1, 2):
                (task,) = _ready(http, instance_id)
                done = http.post(
                    f"/api/v1/tasks/{task['id']}/complete", json={"variables": {f"v{index}": index}}
                )
                assert done.status_code == 200
        service.kill()
        service.start()
        with service.client() as http:
            (task,) = _ready(http, instance_id)
            assert task["element_id"] == "step_3"
            detail = http.get(f"/api/v1/process-instances/{instance_id}").json()
            assert detail["variables"] == {"v1": 1, "v2": 2}
            for _ in (3, 4, 5):
                (task,) = _ready(http, instance_id)
                assert (
                    http.post(
                        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}
                    ).status_code
                    == 200
                )
            assert (
                http.get(f"/api/v1/process-instances/{instance_id}").json()["status"] == "completed"
            )
    finally:
        service.stop()


def test_timer_due_while_down_fires_after_restart(database_url, processes):
    service = ServiceProcess(database_url, processes, DUCHA_SCHEDULER_ENABLED="false").start()
    try:
        with service.client() as http:
            started = http.post(
                "/api/v1/process-instances",
                json={"process_key": "supervision_plan_approval", "variables": {}},
            ).json()
            (draft,) = started["ready_tasks"]
            body = {
                "plan_title": "督查方案",
                "plan_content": "分工",
                "lead_unit": "320000",
                "joint": False,
            }
            detail = http.post(
                f"/api/v1/tasks/{draft['id']}/complete", json={"variables": body}
            ).json()
            (job,) = detail["waiting_timers"]
        service.kill()
        # Time passes while the service is down: the reminder becomes due.
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(Job.id == uuid.UUID(job["id"]))
                .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        engine.dispose()
        service.env["DUCHA_SCHEDULER_ENABLED"] = "true"
        service.start()
        with service.client() as http:
            history = []
            for _ in range(100):
                history = http.get(f"/api/v1/process-instances/{started['id']}/history").json()
                if any(e["event"] == "timer_fired" for e in history):
                    break
                time.sleep(0.1)  # the scheduler runs in the real (restarted) process
            fired = [e for e in history if e["event"] == "timer_fired"]
            assert len(fired) == 1
            assert http.get("/api/v1/jobs").json()["total"] == 0
            detail = http.get(f"/api/v1/process-instances/{started['id']}").json()
            assert [t["element_id"] for t in detail["ready_tasks"]] == ["approve_plan"]
            assert "approval_reminded" in detail["completed_element_ids"]
    finally:
        service.stop()
