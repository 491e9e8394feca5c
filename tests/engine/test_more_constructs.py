"""Constructs the MIWG reference models found refused by the engine, not the diagram (issue 15):
send tasks, message throw/end events and business rule tasks as external tasks (Camunda 7 and
8 dialects), conditional start events through POST /conditions, timer-cycle event subprocesses.
Each drives a small `mc_` diagram over REST and asserts the path taken."""

import pytest
from conftest import login
from engine_helpers import API, deploy_file, instance, post_definition
from fastapi.testclient import TestClient

EXT = f"{API}/external-tasks"


def _worker(client: TestClient) -> dict[str, str]:
    return login(client, sub="mail-gateway", unit="320000-GO", roles=["worker"])


def _fetch_one(client: TestClient, topic: str, headers: dict[str, str]) -> dict:
    body = {
        "worker_id": "mail-gateway",
        "topics": [{"name": topic, "lock_duration_ms": 60_000}],
        "max_tasks": 10,
    }
    response = client.post(f"{EXT}/fetch-and-lock", json=body, headers=headers)
    assert response.status_code == 200, response.text
    (task,) = response.json()
    return dict(task)


def _complete(client: TestClient, task: dict, headers: dict[str, str], **variables: object) -> None:
    body = {"worker_id": "mail-gateway", "variables": variables}
    response = client.post(f"{EXT}/{task['id']}/complete", json=body, headers=headers)
    assert response.status_code in (200, 204), response.text


# --- external send tasks, message throw/end events and business rule tasks -----------------


@pytest.mark.parametrize(
    ("diagram", "key"),
    [
        ("mc_external_camunda7.bpmn", "file_report_by_workers"),
        ("mc_external_zeebe.bpmn", "file_report_by_jobs"),
    ],
)
def test_send_throw_rule_and_end_with_a_topic_are_external_tasks(
    client: TestClient, diagram: str, key: str
) -> None:
    deploy_file(client, diagram)
    started = client.post(f"{API}/process-instances", json={"process_key": key})
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    assert started.json()["ready_tasks"] == []  # no human task: workers do these
    headers = _worker(client)
    path = [
        ("notice", "send_notice"),
        ("announce", "announce_filing"),
        ("score", "score_report"),
        ("deliver", "report_sent"),
    ]
    for number, (topic, element_id) in enumerate(path):
        detail = instance(client, instance_id)
        assert detail["status"] == "running"
        done = {e for _, e in path[:number]}
        assert done <= set(detail["completed_element_ids"])
        assert element_id not in detail["completed_element_ids"]
        task = _fetch_one(client, topic, headers)
        assert task["element_id"] == element_id
        _complete(client, task, headers, score=7)
    detail = instance(client, instance_id)
    assert detail["status"] == "completed"
    assert {e for _, e in path} <= set(detail["completed_element_ids"])
    if key == "file_report_by_jobs":  # zeebe:ioMapping output on the business rule task
        assert detail["variables"]["report_score"] == 7


def test_a_rule_task_with_a_topic_and_a_decision_is_refused(client: TestClient) -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://x">'
        b'<bpmn:process id="both" isExecutable="true"><bpmn:startEvent id="start" />'
        b'<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rule" />'
        b'<bpmn:businessRuleTask id="rule" camunda:type="external" camunda:topic="t" '
        b'camunda:decisionRef="d1" />'
        b'<bpmn:sequenceFlow id="f2" sourceRef="rule" targetRef="end" />'
        b'<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["element_id"] for e in errors] == ["rule"]
    assert "not both" in errors[0]["message"]
