"""Helpers for the engine tests: every call goes through the public REST API."""

from pathlib import Path
from typing import Any

from conftest import TESTER, login
from fastapi.testclient import TestClient
from httpx import Response

HERE = Path(__file__).resolve().parent
BPMN_DIR = HERE / "bpmn"
FORMS_DIR = HERE / "forms"
API = "/api/v1"


def bpmn(name: str) -> bytes:
    """The bytes of a test diagram."""
    return (BPMN_DIR / name).read_bytes()


def form(name: str) -> bytes:
    """The bytes of a test form schema."""
    return (FORMS_DIR / name).read_bytes()


def post_definition(
    client: TestClient,
    xml: bytes,
    *,
    name: str = "upload.bpmn",
    forms: dict[str, bytes] | None = None,
) -> Response:
    """POST a BPMN file (and forms) to the deploy endpoint; returns the raw response."""
    files: list[Any] = [("file", (name, xml, "application/xml"))]
    for form_name, content in (forms or {}).items():
        files.append(("forms", (form_name, content, "application/json")))
    return client.post(f"{API}/process-definitions", files=files)


def deploy_file(client: TestClient, name: str, forms: dict[str, bytes] | None = None) -> dict:
    """Deploy a test diagram; asserts success and returns the definition."""
    response = post_definition(client, bpmn(name), name=name, forms=forms)
    assert response.status_code in (200, 201), response.text
    return response.json()


def start_instance(client: TestClient, key: str, **body: Any) -> Response:
    """POST a new instance; returns the raw response."""
    return client.post(f"{API}/process-instances", json={"process_key": key, **body})


def complete_task(
    client: TestClient, task_id: str, variables: dict | None = None, *, user: str | None = None
) -> Response:
    """POST a task completion; returns the raw response."""
    headers = as_user(client, user) if user else {}
    return client.post(
        f"{API}/tasks/{task_id}/complete", json={"variables": variables or {}}, headers=headers
    )


def instance(client: TestClient, instance_id: str) -> dict:
    """The instance detail."""
    response = client.get(f"{API}/process-instances/{instance_id}")
    assert response.status_code == 200, response.text
    return response.json()


def task(client: TestClient, task_id: str) -> dict:
    """The task detail."""
    response = client.get(f"{API}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()


def history(client: TestClient, instance_id: str) -> list[dict]:
    """The instance's history events, oldest first."""
    response = client.get(f"{API}/process-instances/{instance_id}/history")
    assert response.status_code == 200, response.text
    return response.json()


def events(client: TestClient, instance_id: str, event: str) -> list[dict]:
    """The history events of one kind."""
    return [e for e in history(client, instance_id) if e["event"] == event]


def only_ready(detail: dict, element_id: str) -> dict:
    """The single ready task of an element; fails when there is not exactly one."""
    tasks = [t for t in detail["ready_tasks"] if t["element_id"] == element_id]
    assert len(tasks) == 1, [t["element_id"] for t in detail["ready_tasks"]]
    return tasks[0]


def ready_ids(detail: dict) -> list[str]:
    """Element ids of the ready tasks, sorted."""
    return sorted(t["element_id"] for t in detail["ready_tasks"])


def jobs(client: TestClient, instance_id: str) -> list[dict]:
    """The instance's jobs (timers), earliest first."""
    response = client.get(f"{API}/jobs", params={"process_instance_id": instance_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def execute_job(client: TestClient, job_id: str) -> Response:
    """POST a job execution; returns the raw response."""
    return client.post(f"{API}/jobs/{job_id}/execute")


def run_due(client: TestClient) -> int:
    """One in-process scheduler round (the background thread is off in tests)."""
    fired: int = client.app.state.scheduler.run_due()  # type: ignore[attr-defined]
    return fired


def forget_workflows(client: TestClient) -> None:
    """Drop the warm workflow cache so that the next step restores from the database."""
    client.app.state.engine.workflows.clear()  # type: ignore[attr-defined]


def send_message(client: TestClient, name: str, **body: Any) -> Response:
    """POST a message; returns the raw response."""
    return client.post(f"{API}/messages", json={"name": name, **body})


def as_user(client: TestClient, sub: str) -> dict[str, str]:
    """Headers of another user with the default tester's unit and roles."""
    return login(client, sub=sub, unit=TESTER["unit"], roles=TESTER["roles"])
