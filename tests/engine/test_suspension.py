"""Suspension (挂起) and activation (激活) of instances and definition versions through REST, on
SQLite and PostgreSQL: what a suspended instance refuses (409 `suspended`, nothing changed),
what passes it by (timers, messages, signals, workers), what a suspended version refuses, and
who may suspend what (403 / 404 / 422)."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import login
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    execute_job,
    history,
    instance,
    jobs,
    only_ready,
    post_definition,
    ready_ids,
    run_due,
    send_message,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from httpx import Response

from app.kit.clock import clock

TESTS = Path(__file__).resolve().parent.parent
REASON = "案件移交纪委，暂停办理"


def suspend(client: TestClient, instance_id: str, **kw: Any) -> Response:
    return client.post(
        f"{API}/process-instances/{instance_id}/suspend", json={"reason": REASON}, **kw
    )


def activate(client: TestClient, instance_id: str, **kw: Any) -> Response:
    return client.post(
        f"{API}/process-instances/{instance_id}/activate", json={"reason": "纪委已反馈"}, **kw
    )


def refused(response: Response, code: str, status: int = 409) -> dict:
    assert response.status_code == status, response.text
    body: dict = response.json()
    assert body["code"] == code, body
    return body


def audit(client: TestClient, action: str) -> list[dict]:
    response = client.get(f"{API}/audit", params={"action": action})
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


# --- instances -----------------------------------------------------------------------------


def test_suspend_and_activate_an_instance(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    response = suspend(client, started["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended"
    assert ready_ids(response.json()) == ["step_1"]  # its tokens stay where they are
    listed = client.get(f"{API}/process-instances", params={"status": "suspended"}).json()
    assert [i["id"] for i in listed["items"]] == [started["id"]]
    (event,) = events(client, started["id"], "instance_suspended")
    assert (event["actor"], event["data"]) == ("tester", {"reason": REASON})
    (record,) = audit(client, "instance.suspend")
    assert record["instance_id"] == started["id"] and record["data"] == {"reason": REASON}

    response = activate(client, started["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "running"
    assert events(client, started["id"], "instance_activated")[0]["data"] == {
        "reason": "纪委已反馈"
    }
    assert audit(client, "instance.activate")[0]["data"] == {"reason": "纪委已反馈"}
    step_1 = only_ready(started, "step_1")["id"]
    assert complete_task(client, step_1).status_code == 200


def test_every_task_act_is_refused_while_suspended_and_changes_nothing(
    client: TestClient,
) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    step_1 = only_ready(started, "step_1")["id"]
    assert suspend(client, started["id"]).status_code == 200
    before_task, before_history = task(client, step_1), history(client, started["id"])
    refused(complete_task(client, step_1, {"note": "x"}), "suspended")
    refused(client.post(f"{API}/tasks/{step_1}/claim"), "suspended")
    refused(client.post(f"{API}/tasks/{step_1}/unclaim"), "suspended")
    assign = {"assignee": "someone", "unit": "320100-DCS"}
    refused(client.post(f"{API}/tasks/{step_1}/assign", json=assign), "suspended")
    assert task(client, step_1) == before_task
    assert history(client, started["id"]) == before_history
    # Reads still answer: the instance, its variables, its task, its history.
    assert instance(client, started["id"])["status"] == "suspended"
    assert client.get(f"{API}/tasks/{step_1}").status_code == 200


def test_a_suspended_instance_can_be_cancelled(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    assert suspend(client, started["id"]).status_code == 200
    response = client.post(f"{API}/process-instances/{started['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    refused(activate(client, started["id"]), "not_suspended")


def test_only_a_running_instance_is_suspended_and_only_a_suspended_one_activated(
    client: TestClient,
) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    refused(activate(client, started["id"]), "not_suspended")
    assert suspend(client, started["id"]).status_code == 200
    refused(suspend(client, started["id"]), "suspended")
    assert activate(client, started["id"]).status_code == 200
    assert client.post(f"{API}/process-instances/{started['id']}/cancel").status_code == 200
    body = refused(suspend(client, started["id"]), "instance_not_running")
    assert "cancelled" in body["detail"]
    assert len(audit(client, "instance.suspend")) == 1  # refusals are not audited


def test_a_reason_is_required_and_bounded(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    path = f"{API}/process-instances/{started['id']}/suspend"
    for body in (None, {}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "x": 1}):
        response = client.post(path, json=body)
        assert response.status_code == 422, (body, response.text)
    missing = client.post(path, json={}).json()
    assert any(e["field"].endswith("reason") for e in missing["errors"])
    assert instance(client, started["id"])["status"] == "running"
    unknown = "00000000-0000-4000-8000-000000000000"
    refused(suspend(client, unknown), "not_found", 404)


def test_who_may_suspend_an_instance(client: TestClient) -> None:
    """The city's office owns the instance, its task is the district office's: the district
    sees it (403 naming action, object and owner), Wuxi does not (404), a handler's roles may
    not modify instances at all (403 naming the permission)."""
    xml = (TESTS / "access" / "unit_task.bpmn").read_bytes()
    assert post_definition(client, xml, name="unit_task.bpmn").status_code == 201
    city = login(client, sub="city", unit="320100-DCS", roles=["supervision_office"])
    body = {"process_key": "unit_task", "variables": {"unit": "320102-DCS"}}
    started = client.post(f"{API}/process-instances", json=body, headers=city).json()
    district = login(client, sub="xuanwu", unit="320102-DCS", roles=["supervision_office"])
    wuxi = login(client, sub="wuxi", unit="320200-DCS", roles=["supervision_office"])
    handler = login(client, sub="h", unit="320100-DCS", roles=["unit_handler"])

    body = refused(suspend(client, started["id"], headers=district), "forbidden", 403)
    assert (body["action"], body["object_id"], body["owner_unit"]) == (
        "instances.modify",
        started["id"],
        "320100-DCS",
    )
    refused(suspend(client, started["id"], headers=wuxi), "not_found", 404)
    body = refused(suspend(client, started["id"], headers=handler), "forbidden", 403)
    assert body["action"] == "instances.modify"
    assert instance(client, started["id"])["status"] == "running"
    assert suspend(client, started["id"], headers=city).status_code == 200
    refused(activate(client, started["id"], headers=district), "forbidden", 403)
    assert activate(client, started["id"], headers=city).status_code == 200


# --- timers, messages, signals, workers ----------------------------------------------------


def test_a_timer_due_while_suspended_fires_after_activation(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off").json()
    (job,) = jobs(client, started["id"])
    assert suspend(client, started["id"]).status_code == 200
    clock.advance(timedelta(hours=3))  # the timer (PT2H) came due meanwhile
    assert run_due(client) == 0
    refused(execute_job(client, job["id"]), "suspended")
    (still,) = jobs(client, started["id"])
    assert (still["status"], still["attempts"], still["locked_by"]) == ("waiting", 0, None)
    assert events(client, started["id"], "timer_fired") == []

    assert activate(client, started["id"]).status_code == 200
    assert run_due(client) == 1
    assert ready_ids(instance(client, started["id"])) == ["confirm_decision"]
    assert len(events(client, started["id"], "timer_fired")) == 1


def test_a_timer_taken_by_the_scheduler_just_before_the_suspension_waits_for_activation(
    client: TestClient, frozen_clock: datetime
) -> None:
    """The scheduler leased the job, then the office suspended the instance: the job is given
    back untouched (no attempt, no incident) and fires after activation."""
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off").json()
    clock.advance(timedelta(hours=3))
    scheduler = client.app.state.scheduler  # type: ignore[attr-defined]
    (job_id,) = scheduler.engine.db.transaction(scheduler._acquire)
    assert suspend(client, started["id"]).status_code == 200
    scheduler._fire(job_id)
    (job,) = jobs(client, started["id"])
    assert (job["status"], job["attempts"], job["locked_by"]) == ("waiting", 0, None)
    assert instance(client, started["id"])["incidents"] == []
    assert activate(client, started["id"]).status_code == 200
    assert run_due(client) == 1
    assert ready_ids(instance(client, started["id"])) == ["confirm_decision"]


def test_messages_and_signals_pass_a_suspended_instance_by(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    deploy_file(client, "sg_intermediate.bpmn")
    paying = start_instance(client, "await_payment").json()
    recalling = start_instance(client, "wait_for_recall").json()
    assert suspend(client, paying["id"]).status_code == 200
    assert suspend(client, recalling["id"]).status_code == 200

    refused(send_message(client, "payment_received"), "no_receiver", 404)
    signal = client.post(f"{API}/signals", json={"name": "recall"})
    assert signal.status_code == 200, signal.text
    assert signal.json()["delivered"] == []
    assert events(client, paying["id"], "message_received") == []
    assert events(client, recalling["id"], "signal_received") == []

    assert activate(client, paying["id"]).status_code == 200
    assert activate(client, recalling["id"]).status_code == 200
    delivered = send_message(client, "payment_received")
    assert delivered.json()["delivered"] == [paying["id"]]
    signal = client.post(f"{API}/signals", json={"name": "recall"})
    assert signal.json()["delivered"] == [recalling["id"]]


def _worker(client: TestClient) -> dict[str, str]:
    return login(client, sub="sms-gateway", unit="320000-GO", roles=["worker"])


def _fetch(client: TestClient) -> list[dict]:
    body = {
        "worker_id": "sms-1",
        "topics": [{"name": "sms", "lock_duration_ms": 60_000}],
        "max_tasks": 5,
    }
    response = client.post(
        f"{API}/external-tasks/fetch-and-lock", json=body, headers=_worker(client)
    )
    assert response.status_code == 200, response.text
    tasks: list[dict] = response.json()
    return tasks


def test_workers_pass_a_suspended_instance_by(client: TestClient) -> None:
    xml = (TESTS / "external" / "bpmn" / "notify_by_sms.bpmn").read_bytes()
    assert post_definition(client, xml, name="notify_by_sms.bpmn").status_code == 201
    started = start_instance(client, "notify_by_sms", variables={"phone": "1"}).json()
    assert suspend(client, started["id"]).status_code == 200
    assert _fetch(client) == []
    assert activate(client, started["id"]).status_code == 200
    (locked,) = _fetch(client)
    assert suspend(client, started["id"]).status_code == 200  # while the worker holds it
    before = history(client, started["id"])
    path = f"{API}/external-tasks/{locked['id']}"
    worker = _worker(client)
    done = {"worker_id": "sms-1", "variables": {"sent": True}}
    refused(client.post(f"{path}/complete", json=done, headers=worker), "suspended")
    failed = {"worker_id": "sms-1", "error_message": "gateway down", "retries": 0}
    refused(client.post(f"{path}/failure", json=failed, headers=worker), "suspended")
    error = {"worker_id": "sms-1", "error_code": "NO_PHONE"}
    refused(client.post(f"{path}/bpmn-error", json=error, headers=worker), "suspended")
    assert history(client, started["id"]) == before
    assert instance(client, started["id"])["incidents"] == []
    assert activate(client, started["id"]).status_code == 200
    response = client.post(f"{path}/complete", json=done, headers=worker)
    assert response.status_code == 200, response.text
    assert [e["event"] for e in history(client, started["id"])][len(before)] == (
        "instance_activated"
    )
    assert len(events(client, started["id"], "external_task_completed")) == 1


# --- definitions ---------------------------------------------------------------------------


def suspend_definition(client: TestClient, definition_id: str, **kw: Any) -> Response:
    headers = kw.pop("headers", {})
    body = {"reason": "流程图有误，暂停新办", **kw}
    return client.post(
        f"{API}/process-definitions/{definition_id}/suspend", json=body, headers=headers
    )


def activate_definition(client: TestClient, definition_id: str, **kw: Any) -> Response:
    headers = kw.pop("headers", {})
    body = {"reason": "已修正", **kw}
    return client.post(
        f"{API}/process-definitions/{definition_id}/activate", json=body, headers=headers
    )


def test_a_suspended_version_refuses_new_starts(client: TestClient) -> None:
    deploy_file(client, "versioned_v1.bpmn")
    v2 = deploy_file(client, "versioned_v2.bpmn")
    response = suspend_definition(client, v2["id"])
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["suspended"], shown["suspended_by"], shown["instances"]) == (True, "tester", 0)
    assert shown["suspension_reason"] == "流程图有误，暂停新办" and shown["suspended_at"]
    assert client.get(f"{API}/process-definitions/{v2['id']}").json()["suspended"] is True
    refused(start_instance(client, "versioned_process"), "definition_suspended")
    refused(start_instance(client, "versioned_process", version=2), "definition_suspended")
    assert start_instance(client, "versioned_process", version=1).status_code == 201
    assert client.get(f"{API}/process-instances").json()["total"] == 1
    refused(suspend_definition(client, v2["id"]), "definition_suspended")
    (record,) = audit(client, "definition.suspend")
    assert record["object_id"] == v2["id"] and record["data"]["instances"] == 0

    response = activate_definition(client, v2["id"])
    assert response.status_code == 200, response.text
    assert (response.json()["suspended"], response.json()["suspended_at"]) == (False, None)
    assert start_instance(client, "versioned_process").json()["version"] == 2
    refused(activate_definition(client, v2["id"]), "not_suspended")


def test_message_signal_and_conditional_starts_skip_a_suspended_version(
    client: TestClient,
) -> None:
    by_message = deploy_file(client, "message_start.bpmn")
    by_signal = deploy_file(client, "sg_start.bpmn")
    by_condition = deploy_file(client, "sg_conditional_start.bpmn")
    for definition in (by_message, by_signal, by_condition):
        assert suspend_definition(client, definition["id"]).status_code == 200
    refused(send_message(client, "case_opened"), "no_receiver", 404)
    signal = client.post(f"{API}/signals", json={"name": "recall"})
    assert signal.json() == {"delivered": [], "started": [], "instances": []}
    conditions = client.post(f"{API}/conditions", json={"variables": {"ready": True}})
    assert conditions.json()["started"] == []
    named = {"variables": {"ready": True}, "process_key": "start_on_condition"}
    refused(client.post(f"{API}/conditions", json=named), "definition_suspended")
    assert client.get(f"{API}/process-instances").json()["total"] == 0

    for definition in (by_message, by_signal, by_condition):
        assert activate_definition(client, definition["id"]).status_code == 200
    assert send_message(client, "case_opened").json()["started"]
    assert client.post(f"{API}/signals", json={"name": "recall"}).json()["started"]
    assert client.post(f"{API}/conditions", json=named).json()["started"]


def test_include_instances_suspends_the_running_instances_the_caller_controls(
    client: TestClient,
) -> None:
    """A designer of the city's office suspends the version with its instances: only the
    city's running instance is suspended (the province's are not the designer's), in one
    act with one audit record; the admin then activates them all."""
    definition = deploy_file(client, "five_steps.bpmn")
    province = [start_instance(client, "five_steps").json() for _ in range(2)]
    city_owned = start_instance(client, "five_steps", unit="320100-DCS").json()
    ended = start_instance(client, "five_steps", unit="320100-DCS").json()
    assert client.post(f"{API}/process-instances/{ended['id']}/cancel").status_code == 200
    designer = login(client, sub="designer", unit="320100-DCS", roles=["process_designer"])

    response = suspend_definition(
        client, definition["id"], include_instances=True, headers=designer
    )
    assert response.status_code == 200, response.text
    assert (response.json()["suspended"], response.json()["instances"]) == (True, 1)
    assert instance(client, city_owned["id"])["status"] == "suspended"
    assert [instance(client, p["id"])["status"] for p in province] == ["running", "running"]
    assert instance(client, ended["id"])["status"] == "cancelled"
    (event,) = events(client, city_owned["id"], "instance_suspended")
    assert event["data"] == {"reason": "流程图有误，暂停新办", "definition_id": definition["id"]}
    (record,) = audit(client, "definition.suspend")
    assert (record["actor_sub"], record["data"]["instances"]) == ("designer", 1)
    assert record["data"]["include_instances"] is True
    step_1 = only_ready(city_owned, "step_1")["id"]
    city = login(client, sub="city", unit="320100-DCS", roles=["supervision_office"])
    done = f"{API}/tasks/{step_1}/complete"
    refused(client.post(done, json={"variables": {}}, headers=city), "suspended")

    # Already suspended: with include_instances only the instances change (the admin's: all).
    again = suspend_definition(client, definition["id"], include_instances=True)
    assert again.status_code == 200 and again.json()["instances"] == 2
    response = activate_definition(client, definition["id"], include_instances=True)
    assert (response.json()["suspended"], response.json()["instances"]) == (False, 3)
    for started in (*province, city_owned):
        assert instance(client, started["id"])["status"] == "running"
    assert client.post(done, json={"variables": {}}, headers=city).status_code == 200


def test_who_may_suspend_a_definition(client: TestClient) -> None:
    definition = deploy_file(client, "five_steps.bpmn")
    office = login(client, sub="office", unit="320000-DCS", roles=["supervision_office"])
    body = refused(suspend_definition(client, definition["id"], headers=office), "forbidden", 403)
    assert body["action"] == "definitions.suspend"
    unknown = "00000000-0000-4000-8000-000000000000"
    refused(suspend_definition(client, unknown), "not_found", 404)
    path = f"{API}/process-definitions/{definition['id']}/suspend"
    bad = {"reason": "ok", "include_instances": "sometimes"}
    assert client.post(path, json=bad).status_code == 422
    assert client.post(path, json={"include_instances": True}).status_code == 422
    assert client.get(f"{API}/process-definitions/{definition['id']}").json()["suspended"] is False
