"""Constructs the MIWG reference models found refused by the engine, not the diagram (issue 15):
send tasks, message throw/end events and business rule tasks as external tasks (Camunda 7 and
8 dialects), conditional start events through POST /conditions, timer-cycle event subprocesses.
Each drives a small `mc_` diagram over REST and asserts the path taken."""

from datetime import datetime, timedelta

import pytest
from conftest import login
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    execute_job,
    forget_workflows,
    instance,
    jobs,
    only_ready,
    post_definition,
    ready_ids,
    run_due,
    start_instance,
)
from fastapi.testclient import TestClient

from app.kit.clock import clock

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


# --- conditional start events: POST /conditions --------------------------------------------


def _conditions(client: TestClient, **body: object) -> dict:
    response = client.post(f"{API}/conditions", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_conditions_start_every_process_whose_condition_holds(client: TestClient) -> None:
    deploy_file(client, "mc_cond_open_case_when_overdue.bpmn")
    deploy_file(client, "mc_cond_warn_when_late.bpmn")
    deploy_file(client, "sg_conditional_start.bpmn")  # `ready == True`: not given, so false
    result = _conditions(client, variables={"days_late": 40})
    assert len(result["started"]) == 2
    keys = set()
    for started in result["instances"]:
        assert started["status"] == "running"
        assert started["variables"] == {"days_late": 40}
        detail = instance(client, started["id"])
        keys.add(detail["process_key"])
        assert "report_late" in detail["completed_element_ids"]
        (ready,) = detail["ready_tasks"]
        done = complete_task(client, ready["id"]).json()
        assert done["status"] == "completed"
        assert {"report_late", ready["element_id"], "end"} <= set(done["completed_element_ids"])
    assert keys == {"open_case_when_overdue", "warn_when_late"}
    only_warn = _conditions(client, variables={"days_late": 5})
    assert [instance(client, i)["process_key"] for i in only_warn["started"]] == ["warn_when_late"]
    on_time = _conditions(client, variables={"days_late": 0})
    assert on_time == {"started": [], "instances": []}
    named = _conditions(client, variables={"days_late": 40}, process_key="warn_when_late")
    assert [instance(client, i)["process_key"] for i in named["started"]] == ["warn_when_late"]
    ready_now = _conditions(client, variables={"ready": True}, process_key="start_on_condition")
    (done,) = ready_now["instances"]
    assert done["status"] == "completed"


def test_conditions_refuse_unknown_and_unconditional_processes(client: TestClient) -> None:
    deploy_file(client, "mc_external_camunda7.bpmn")
    response = client.post(f"{API}/conditions", json={"process_key": "nowhere", "variables": {}})
    assert response.status_code == 404, response.text
    response = client.post(
        f"{API}/conditions", json={"process_key": "file_report_by_workers", "variables": {}}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "process_key"
    assert _conditions(client, variables={"x": 1}) == {"started": [], "instances": []}


def test_a_conditional_start_beside_another_start_is_refused(client: TestClient) -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'id="d" targetNamespace="http://x"><bpmn:process id="two_starts" isExecutable="true">'
        b'<bpmn:startEvent id="plain" /><bpmn:startEvent id="when">'
        b"<bpmn:conditionalEventDefinition><bpmn:condition>x &gt; 1</bpmn:condition>"
        b"</bpmn:conditionalEventDefinition></bpmn:startEvent>"
        b'<bpmn:sequenceFlow id="f1" sourceRef="plain" targetRef="end" />'
        b'<bpmn:sequenceFlow id="f2" sourceRef="when" targetRef="end" />'
        b'<bpmn:endEvent id="end" /></bpmn:process></bpmn:definitions>'
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "when"
    assert "only start event" in error["message"]


def test_a_conditional_start_process_is_not_started_plainly(client: TestClient) -> None:
    deploy_file(client, "mc_cond_warn_when_late.bpmn")
    response = client.post(
        f"{API}/process-instances",
        json={"process_key": "warn_when_late", "variables": {"days_late": 3}},
    )
    assert response.status_code == 422, response.text
    assert "/conditions" in response.json()["detail"]


# --- event subprocesses started by a timer cycle -------------------------------------------


def _due(job: dict) -> datetime:
    return datetime.fromisoformat(job["due_at"].replace("Z", "+00:00"))


def test_non_interrupting_cycle_event_subprocess_fires_each_repetition(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "mc_cycle_reminder.bpmn")
    started = start_instance(client, "answer_with_daily_reminders").json()
    (job,) = jobs(client, started["id"])
    assert job["element_id"] == "reminder_start"
    assert _due(job) == frozen_clock + timedelta(days=1)
    clock.advance(timedelta(days=1, seconds=1))
    forget_workflows(client)
    assert run_due(client) == 1
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_reminder", "prepare_answer"]
    (second,) = jobs(client, started["id"])  # armed again for the next repetition
    assert _due(second) == frozen_clock + timedelta(days=2)
    assert execute_job(client, second["id"]).status_code == 200
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_reminder", "handle_reminder", "prepare_answer"]
    (third,) = jobs(client, started["id"])
    first_reminder = next(t for t in after["ready_tasks"] if t["element_id"] == "handle_reminder")
    complete_task(client, first_reminder["id"])
    assert execute_job(client, third["id"]).status_code == 200
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_reminder", "handle_reminder", "prepare_answer"]
    assert jobs(client, started["id"]) == []  # R3: three repetitions, then no more
    answered = complete_task(client, only_ready(after, "prepare_answer")["id"]).json()
    assert answered["status"] == "running"  # the scope waits for the repetitions it started
    for record in answered["ready_tasks"]:
        response = complete_task(client, record["id"])
        assert response.status_code == 200, response.text
        last = response.json()
    assert last["status"] == "completed"
    assert {"end_answered", "reminder_start", "handle_reminder", "reminder_end"} <= set(
        last["completed_element_ids"]
    )


def test_cycle_event_subprocess_is_withdrawn_when_its_scope_ends(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "mc_cycle_reminder.bpmn")
    started = start_instance(client, "answer_with_daily_reminders").json()
    assert len(jobs(client, started["id"])) == 1
    done = complete_task(client, only_ready(started, "prepare_answer")["id"]).json()
    assert done["status"] == "completed"
    assert "handle_reminder" not in done["completed_element_ids"]
    assert jobs(client, started["id"]) == []
    clock.advance(timedelta(days=5))
    assert run_due(client) == 0


def test_interrupting_cycle_event_subprocess_fires_once(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "mc_cycle_deadline.bpmn")
    started = start_instance(client, "answer_or_take_over_daily").json()
    (job,) = jobs(client, started["id"])
    assert _due(job) == frozen_clock + timedelta(days=1)
    assert execute_job(client, job["id"]).status_code == 200
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_deadline"]  # the answer was interrupted
    assert jobs(client, started["id"]) == []
    done = complete_task(client, only_ready(after, "handle_deadline")["id"]).json()
    assert done["status"] == "completed"
    assert "prepare_answer" not in done["completed_element_ids"]
    assert {"deadline_start", "handle_deadline", "deadline_end"} <= set(
        done["completed_element_ids"]
    )


def test_a_compensation_event_subprocess_is_refused_saying_why(client: TestClient) -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'id="d" targetNamespace="http://x"><bpmn:process id="undo" isExecutable="true">'
        b'<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" '
        b'targetRef="end" /><bpmn:endEvent id="end" />'
        b'<bpmn:subProcess id="on_undo" triggeredByEvent="true">'
        b'<bpmn:startEvent id="undo_start"><bpmn:compensateEventDefinition /></bpmn:startEvent>'
        b'<bpmn:sequenceFlow id="f2" sourceRef="undo_start" targetRef="undo_end" />'
        b'<bpmn:endEvent id="undo_end" /></bpmn:subProcess></bpmn:process></bpmn:definitions>'
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "undo_start"
    assert "compensation event subprocess is not supported" in error["message"]
    assert "compensation boundary event" in error["message"]
