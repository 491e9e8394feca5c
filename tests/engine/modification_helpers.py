"""Helpers of the modification tests (tests/engine/test_modification*.py): the live tree, a
modification, and instances of `modification_steps.bpmn` at a known place."""

from typing import Any

from conftest import TESTER
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    execute_job,
    jobs,
    only_ready,
    start_instance,
)
from fastapi.testclient import TestClient


def tree(client: TestClient, instance_id: str) -> dict:
    """The instance's live tree (activity instances)."""
    response = client.get(f"{API}/process-instances/{instance_id}/activity-instances")
    assert response.status_code == 200, response.text
    return response.json()


def live(client: TestClient, instance_id: str, element_id: str) -> list[dict]:
    """The live instances of one element."""
    activities = tree(client, instance_id)["activities"]
    return [a for a in activities if a["element_id"] == element_id]


def modify(
    client: TestClient,
    instance_id: str,
    *instructions: dict,
    reason: str = "a wrong step",
    headers: dict | None = None,
) -> Any:
    """POST a modification; the raw response."""
    return client.post(
        f"{API}/process-instances/{instance_id}/modification",
        json={"instructions": list(instructions), "reason": reason},
        headers=headers or {},
    )


def modified(client: TestClient, instance_id: str, *instructions: dict) -> dict:
    """A modification that succeeds: the instance after it."""
    response = modify(client, instance_id, *instructions)
    assert response.status_code == 200, response.text
    return response.json()


def at_draft(client: TestClient, **variables: Any) -> dict:
    """An instance at `draft_report`, its boundary timer waiting."""
    deploy_file(client, "modification_steps.bpmn")
    started = start_instance(
        client, "repair_report", variables={"unit": TESTER["unit"], **variables}
    )
    assert started.status_code == 201, started.text
    return started.json()


def at_review(client: TestClient) -> dict:
    """An instance past its timer, at `review`."""
    started = at_draft(client, total=10, count=4)
    complete_task(client, only_ready(started, "draft_report")["id"])
    [job] = jobs(client, started["id"])
    reviewing = execute_job(client, job["id"])
    assert reviewing.status_code == 200, reviewing.text
    return reviewing.json()


def audit_rows(client: TestClient, instance_id: str) -> list[dict]:
    response = client.get(f"{API}/audit", params={"action": "instance.modify"})
    assert response.status_code == 200, response.text
    return [r for r in response.json()["items"] if r["instance_id"] == instance_id]
