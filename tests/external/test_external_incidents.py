"""An external task out of retries is an incident like any other: listed with the others
(`GET /incidents`), retried (the task gets a retry back and a worker fetches it) or resolved."""

from external_helpers import API, act, deploy, fetch, instance, start, worker_headers
from fastapi.testclient import TestClient


def _out_of_retries(client: TestClient, headers: dict[str, str]) -> tuple[dict, dict]:
    started = start(client, "archive_document")
    (locked,) = fetch(client, "archiver", "archive", headers=headers)
    failure = {"worker_id": "archiver", "error_message": "档案系统无响应", "retries": 0}
    assert act(client, locked["id"], "failure", headers, **failure).status_code == 200
    return started, locked


def test_an_external_task_out_of_retries_is_listed_and_retried(client: TestClient) -> None:
    assert deploy(client, "archive_document.bpmn").status_code == 201
    headers = worker_headers(client)
    started, locked = _out_of_retries(client, headers)
    listed = client.get(f"{API}/incidents", params={"kind": "external_task_failed"}).json()
    (incident,) = listed["items"]
    assert (incident["external_task_id"], incident["element_id"]) == (locked["id"], "archive")
    assert (incident["process_instance_id"], incident["state"]) == (started["id"], "open")
    assert "档案系统无响应" in incident["message"]
    assert fetch(client, "archiver", "archive", headers=headers) == []

    body = {"variables": {"archive_no": "A-17"}, "reason": "档案系统已恢复"}
    retried = client.post(f"{API}/incidents/{incident['id']}/retry", json=body)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "running"
    closed = client.get(f"{API}/incidents/{incident['id']}").json()
    assert (closed["resolution"], closed["resolved_by"]) == ("retried", "tester")
    (again,) = fetch(client, "archiver", "archive", headers=headers)
    assert (again["retries"], again["variables"]["archive_no"]) == (1, "A-17")
    done = act(client, again["id"], "complete", headers, worker_id="archiver", variables={})
    assert done.status_code == 200, done.text
    assert instance(client, started["id"])["status"] == "completed"


def test_a_resolved_external_task_incident_leaves_the_task_out_of_retries(
    client: TestClient,
) -> None:
    assert deploy(client, "archive_document.bpmn").status_code == 201
    headers = worker_headers(client)
    started, locked = _out_of_retries(client, headers)
    (incident,) = instance(client, started["id"])["incidents"]
    note = {"note": "改为人工归档"}
    resolved = client.post(f"{API}/incidents/{incident['id']}/resolve", json=note)
    assert resolved.status_code == 200, resolved.text
    assert instance(client, started["id"])["status"] == "running"
    assert fetch(client, "archiver", "archive", headers=headers) == []  # still 0 retries
    listed = client.get(f"{API}/external-tasks", params={"with_incident": True}).json()
    assert listed["items"] == []
    given = act(client, locked["id"], "retries", retries=1)  # the operators' old way still works
    assert given.status_code == 200, given.text
    assert len(fetch(client, "archiver", "archive", headers=headers)) == 1
