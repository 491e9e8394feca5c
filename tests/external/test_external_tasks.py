"""External tasks (外部任务) through REST: deploy, fetch and lock, complete, fail, BPMN errors,
locks, incidents and their resolution, on SQLite and PostgreSQL."""

import json
from datetime import timedelta

from external_helpers import (
    API,
    EXT,
    act,
    deploy,
    fetch,
    history,
    instance,
    listed,
    outbox_types,
    start,
    worker_headers,
)
from fastapi.testclient import TestClient

from app.kit.clock import clock

SERVICE_TASK_WITHOUT_TOPIC = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://x">
  <bpmn:process id="untopical" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_the_tax_office" />
    <bpmn:serviceTask id="call_the_tax_office" {attributes} />
    <bpmn:sequenceFlow id="f2" sourceRef="call_the_tax_office" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def _refused(client: TestClient, attributes: str) -> dict:
    xml = SERVICE_TASK_WITHOUT_TOPIC.format(attributes=attributes).encode()
    response = client.post(
        f"{API}/process-definitions", files=[("file", ("x.bpmn", xml, "application/xml"))]
    )
    assert response.status_code == 422, response.text
    body: dict = response.json()
    assert [e["element_id"] for e in body["errors"]] == ["call_the_tax_office"]
    return body


def test_a_service_task_without_a_topic_is_refused_naming_the_element(client: TestClient):
    body = _refused(client, "")
    assert "externalTopic" in json.dumps(body["errors"])
    assert "camunda:topic" in json.dumps(body["errors"])


def test_a_java_class_service_task_and_an_expression_topic_are_refused(client: TestClient):
    _refused(client, 'camunda:class="org.example.SendSms"')
    _refused(client, 'camunda:type="connector"')
    body = _refused(client, 'camunda:type="external" camunda:topic="${topicName}"')
    assert "expressions are not allowed" in json.dumps(body["errors"])
    _refused(client, 'camunda:type="external" camunda:topic="sms" camunda:taskPriority="high"')
    assert client.get(f"{API}/process-definitions").json()["total"] == 0


def test_camunda_modeler_diagram_fetch_lock_complete_and_the_process_continues(
    client: TestClient,
):
    assert deploy(client, "notify_by_sms.bpmn").status_code == 201
    started = start(client, "notify_by_sms", business_key="DC-2026-007", variables={"phone": "1"})
    # The service task waits for a worker: it is no human task (not in any inbox).
    assert started["status"] == "running"
    assert started["ready_tasks"] == []
    inbox = client.get(f"{API}/tasks").json()["items"]
    assert inbox == []

    headers = worker_headers(client)
    (task,) = fetch(client, "sms-1", "sms", headers=headers)
    assert task["topic"] == "sms"
    assert task["element_id"] == "send_sms"
    assert task["business_key"] == "DC-2026-007"
    assert task["process_instance_id"] == started["id"]
    assert task["variables"] == {"phone": "1"}
    assert task["priority"] == 5
    assert task["retries"] is None
    assert task["worker_id"] == "sms-1"
    # Locked: nobody else gets it.
    assert fetch(client, "sms-2", "sms", headers=headers) == []

    done = act(client, task["id"], "complete", headers, worker_id="sms-1", variables={"sent": 1})
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "completed"
    after = instance(client, started["id"])
    assert [t["element_id"] for t in after["ready_tasks"]] == ["confirm_receipt"]
    assert after["variables"]["sent"] == 1
    assert after["variables"]["phone"] == "1"
    assert "send_sms" in after["completed_element_ids"]
    assert listed(client) == []  # the row went with the step
    events = history(client, started["id"])
    assert "external_task_created" in events
    assert "external_task_completed" in events
    types = outbox_types(client, started["id"])
    for kind in ("created", "locked", "completed"):
        assert f"external_task.{kind}" in types
    # The completed task is gone: completing it again is a 404.
    again = act(client, task["id"], "complete", headers, worker_id="sms-1", variables={})
    assert again.status_code == 404


def test_spiff_property_diagram_and_variables_asked_for(client: TestClient):
    assert deploy(client, "compute_score.bpmn").status_code == 201
    started = start(client, "compute_score", variables={"matter": "M-1", "points": [1, 2]})
    headers = worker_headers(client, "scores")
    (task,) = fetch(client, "calc", "score_calc", headers=headers, variables=["points"])
    assert task["variables"] == {"points": [1, 2]}
    done = act(client, task["id"], "complete", headers, worker_id="calc", variables={"score": 3})
    assert done.status_code == 200, done.text
    after = instance(client, started["id"])
    assert after["variables"]["score"] == 3
    (review,) = after["ready_tasks"]
    assert review["element_id"] == "review_score"


def test_only_the_lock_holder_completes_fails_or_extends(client: TestClient):
    deploy(client, "archive_document.bpmn")
    start(client, "archive_document")
    headers = worker_headers(client)
    (task,) = fetch(client, "archiver-1", "archive", headers=headers)
    for action, body in [
        ("complete", {"variables": {}}),
        ("failure", {"error_message": "x", "retries": 1}),
        ("extend-lock", {"new_duration_ms": 1000}),
        ("bpmn-error", {"error_code": "X"}),
    ]:
        response = act(client, task["id"], action, headers, worker_id="archiver-2", **body)
        assert response.status_code == 409, (action, response.text)
        assert response.json()["code"] == "not_lock_holder"
    (still,) = listed(client)
    assert still["worker_id"] == "archiver-1"


def test_lock_expiry_frees_the_task_and_extending_keeps_it(client: TestClient, frozen_clock):
    deploy(client, "archive_document.bpmn")
    start(client, "archive_document")
    headers = worker_headers(client)
    (task,) = fetch(client, "archiver-1", "archive", lock_ms=10_000, headers=headers)
    extended = act(
        client, task["id"], "extend-lock", headers, worker_id="archiver-1", new_duration_ms=60_000
    )
    assert extended.status_code == 200, extended.text
    clock.advance(timedelta(seconds=30))
    assert fetch(client, "archiver-2", "archive", headers=headers) == []  # extended: still held
    assert len(listed(client, locked=True)) == 1
    clock.advance(timedelta(seconds=31))
    assert listed(client, locked=True) == []
    (taken,) = fetch(client, "archiver-2", "archive", headers=headers)
    assert taken["id"] == task["id"]
    late = act(client, task["id"], "complete", headers, worker_id="archiver-1", variables={})
    assert late.status_code == 409
    done = act(client, task["id"], "complete", headers, worker_id="archiver-2", variables={})
    assert done.status_code == 200, done.text


def test_failures_count_down_to_an_incident_resolved_by_setting_retries(
    client: TestClient, frozen_clock
):
    deploy(client, "archive_document.bpmn")
    started = start(client, "archive_document")
    headers = worker_headers(client)
    for retries in (2, 1):
        (task,) = fetch(client, "archiver", "archive", headers=headers)
        failed = act(
            client,
            task["id"],
            "failure",
            headers,
            worker_id="archiver",
            error_message="档案系统无响应",
            error_details="Traceback …",
            retries=retries,
            retry_timeout_ms=5_000,
        )
        assert failed.status_code == 200, failed.text
        assert failed.json()["outcome"] == "failed"
        # The retry timeout has not passed: the task is skipped.
        assert fetch(client, "archiver", "archive", headers=headers) == []
        clock.advance(timedelta(seconds=6))
    (task,) = fetch(client, "archiver", "archive", headers=headers)
    assert task["retries"] == 1
    assert task["error_message"] == "档案系统无响应"
    last = act(
        client,
        task["id"],
        "failure",
        headers,
        worker_id="archiver",
        error_message="仍然失败",
        retries=0,
    )
    assert last.status_code == 200, last.text
    assert last.json()["outcome"] == "incident"
    # An incident on the instance; the task is not fetchable.
    detail = instance(client, started["id"])
    assert detail["status"] == "error"
    (incident,) = detail["incidents"]
    assert incident["kind"] == "external_task_failed"
    assert incident["element_id"] == "archive"
    assert "仍然失败" in incident["message"]
    assert fetch(client, "archiver", "archive", headers=headers) == []
    (with_incident,) = listed(client, with_incident=True)
    assert with_incident["incident_id"] == incident["id"]
    full = client.get(f"{EXT}/{task['id']}").json()
    assert full["error_details"] is None
    assert full["error_message"] == "仍然失败"

    # A worker cannot resolve; an operator (the office, in scope) can.
    assert act(client, task["id"], "retries", headers, retries=1).status_code == 403
    office = {"Authorization": client.headers["Authorization"]}
    resolved = act(client, task["id"], "retries", office, retries=1)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["instance_status"] == "running"
    detail = instance(client, started["id"])
    assert detail["status"] == "running"
    assert detail["incidents"][0]["resolved_at"] is not None
    assert listed(client, with_incident=True) == []
    (again,) = fetch(client, "archiver", "archive", headers=headers)
    done = act(client, again["id"], "complete", headers, worker_id="archiver", variables={})
    assert done.status_code == 200, done.text
    assert instance(client, started["id"])["status"] == "completed"
    types = outbox_types(client, started["id"])
    assert types.count("external_task.failed") == 3
    assert "incident.raised" in types
    assert "incident.resolved" in types
    assert "incident_resolved" in history(client, started["id"])


def test_bpmn_error_is_caught_by_the_error_boundary_event(client: TestClient):
    deploy(client, "notify_by_sms.bpmn")
    started = start(client, "notify_by_sms")
    headers = worker_headers(client)
    (task,) = fetch(client, "sms", "sms", headers=headers)
    thrown = act(
        client,
        task["id"],
        "bpmn-error",
        headers,
        worker_id="sms",
        error_code="NO_PHONE",
        error_message="单位未登记手机号",
        variables={"reason": "no phone"},
    )
    assert thrown.status_code == 200, thrown.text
    assert thrown.json()["outcome"] == "error_caught"
    detail = instance(client, started["id"])
    assert [t["element_id"] for t in detail["ready_tasks"]] == ["call_unit"]
    assert "no_phone" in detail["completed_element_ids"]
    assert "send_sms" not in detail["completed_element_ids"]
    # The worker's variables reach the error path.
    call = client.get(f"{API}/tasks/{detail['ready_tasks'][0]['id']}").json()
    assert call["input"]["reason"] == "no phone"
    assert listed(client) == []
    assert "external_task_bpmn_error" in history(client, started["id"])


def test_an_uncaught_bpmn_error_raises_an_incident(client: TestClient):
    deploy(client, "notify_by_sms.bpmn")
    started = start(client, "notify_by_sms")
    headers = worker_headers(client)
    (task,) = fetch(client, "sms", "sms", headers=headers)
    thrown = act(client, task["id"], "bpmn-error", headers, worker_id="sms", error_code="QUOTA")
    assert thrown.status_code == 200, thrown.text
    assert thrown.json()["outcome"] == "incident"
    detail = instance(client, started["id"])
    assert detail["status"] == "error"
    (incident,) = detail["incidents"]
    assert incident["kind"] == "external_task_error"
    assert "QUOTA" in incident["message"]
    (row,) = listed(client, with_incident=True)
    assert row["retries"] == 0


def test_bad_input_is_a_422_naming_the_field(client: TestClient):
    deploy(client, "archive_document.bpmn")
    start(client, "archive_document")
    headers = worker_headers(client)
    body = {"worker_id": "w", "topics": [{"name": "archive", "lock_duration_ms": 0}]}
    response = client.post(f"{EXT}/fetch-and-lock", json=body, headers=headers)
    assert response.status_code == 422
    too_long = {"worker_id": "w", "topics": [{"name": "archive", "lock_duration_ms": 10**9}]}
    response = client.post(f"{EXT}/fetch-and-lock", json=too_long, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "topics.0.lock_duration_ms"
    (task,) = fetch(client, "w", "archive", headers=headers)
    bad = act(client, task["id"], "complete", headers, worker_id="w", variables={"_x": 1})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "variables/_x"
    negative = act(
        client, task["id"], "failure", headers, worker_id="w", error_message="x", retries=-1
    )
    assert negative.status_code == 422
    assert listed(client)[0]["worker_id"] == "w"  # nothing changed


def test_only_workers_and_admins_work_external_tasks(client: TestClient):
    deploy(client, "archive_document.bpmn")
    start(client, "archive_document")
    from conftest import login

    handler = login(client, sub="zhang", unit="320000-FGW", roles=["unit_handler"])
    body = {"worker_id": "w", "topics": [{"name": "archive", "lock_duration_ms": 1000}]}
    assert client.post(f"{EXT}/fetch-and-lock", json=body, headers=handler).status_code == 403
    assert client.get(EXT, headers=handler).status_code == 403
    # The province's office sees the task of its instance; a city office does not.
    city = login(client, sub="li", unit="320100-DCS", roles=["supervision_office"])
    assert client.get(EXT, headers=city).json()["items"] == []
    province = login(client, sub="wang", unit="320000-DCS", roles=["supervision_office"])
    assert len(client.get(EXT, headers=province).json()["items"]) == 1


def test_cancelling_the_instance_removes_its_external_tasks(client: TestClient):
    deploy(client, "archive_document.bpmn")
    started = start(client, "archive_document")
    headers = worker_headers(client)
    (task,) = fetch(client, "w", "archive", headers=headers)
    cancelled = client.post(f"{API}/process-instances/{started['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert listed(client) == []
    assert act(client, task["id"], "complete", headers, worker_id="w").status_code == 404
    assert fetch(client, "w", "archive", headers=headers) == []


def test_a_timer_boundary_event_cancels_a_late_external_task(client: TestClient):
    deploy(client, "archive_with_deadline.bpmn")
    started = start(client, "archive_with_deadline")
    headers = worker_headers(client)
    (task,) = fetch(client, "w", "archive", headers=headers)
    (job,) = client.get(f"{API}/jobs", params={"process_instance_id": started["id"]}).json()[
        "items"
    ]
    fired = client.post(f"{API}/jobs/{job['id']}/execute")
    assert fired.status_code == 200, fired.text
    assert [t["element_id"] for t in fired.json()["ready_tasks"]] == ["archive_by_hand"]
    assert listed(client) == []
    late = act(client, task["id"], "complete", headers, worker_id="w", variables={})
    assert late.status_code == 404
