"""Incidents (故障): every failure listed across instances, retried after a fix (the failed step
runs again on the state kept from before it) or resolved with a note; all over REST."""

from datetime import datetime, timedelta

from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    execute_job,
    form,
    instance,
    jobs,
    only_ready,
    ready_ids,
    run_due,
    send_message,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from repair_helpers import (
    OWNER,
    as_caller,
    audit_rows,
    incidents,
    involve,
    outbox,
    patch_variables,
    resolve,
    retry,
    start_owned,
)

from app.kit.clock import clock

REPORT = {"report.json": form("report.json")}


def _failed(response) -> dict:
    assert response.status_code == 422, response.text
    body: dict = response.json()
    assert body["code"] == "process_error"
    return body


def _incident(client: TestClient, incident_id: str) -> dict:
    response = client.get(f"{API}/incidents/{incident_id}")
    assert response.status_code == 200, response.text
    found: dict = response.json()
    return found


def test_a_failed_start_is_listed_and_runs_again_once_fixed(client: TestClient) -> None:
    deploy_file(client, "script_task.bpmn")
    body = _failed(start_instance(client, "compute_total", variables={"quantity": 2}))
    incident_id, instance_id = body["incident_id"], body["instance_id"]
    (listed,) = incidents(client, state="open")
    assert listed["id"] == incident_id
    assert (listed["element_id"], listed["kind"], listed["trigger"]) == (
        "add_up",
        "process_error",
        "instance_started",
    )
    assert "price" in listed["message"]
    assert (listed["process_key"], listed["version"], listed["unit"]) == (
        "compute_total",
        1,
        "320000-DCS",
    )
    assert (listed["process_instance_id"], listed["instance_status"]) == (instance_id, "error")
    assert (listed["attempts"], listed["state"], listed["resolution"]) == (1, "open", None)

    # Retried before the fix: the same incident, the new cause, one more attempt (committed).
    again = _failed(retry(client, incident_id))
    assert again["errors"][0]["element_id"] == "add_up"
    assert again["incident_id"] == incident_id
    assert _incident(client, incident_id)["attempts"] == 2
    assert instance(client, instance_id)["status"] == "error"

    fixed = retry(client, incident_id, variables={"price": 3})
    assert fixed.status_code == 200, fixed.text
    detail = fixed.json()
    assert detail["status"] == "running"
    assert ready_ids(detail) == ["confirm_total"]
    assert detail["variables"]["total"] == 6
    closed = _incident(client, incident_id)
    assert (closed["state"], closed["resolution"], closed["resolved_by"]) == (
        "resolved",
        "retried",
        "tester",
    )
    assert retry(client, incident_id).json()["code"] == "incident_resolved"
    assert [e["resolution"] for e in outbox(client, instance_id, "incident.resolved")] == [
        "retried"
    ]
    assert len(outbox(client, instance_id, "instance.started")) == 1
    trail = audit_rows(client, "incident.retry")
    assert [r["data"]["failed"] for r in trail] == [False, True]
    assert trail[0]["data"]["variables"] == {"price": 3}
    assert [
        e["data"]["attempts"] for e in events(client, instance_id, "incident_retry_failed")
    ] == [2]


def test_a_failed_completion_is_completed_again_with_what_was_submitted(
    client: TestClient,
) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    started = start_instance(client, "op_report_rate", variables={"days": 0}).json()
    write = only_ready(started, "write_report")
    body = _failed(complete_task(client, write["id"], {"title": "年报", "pages": 10}))
    assert body["errors"][0]["element_id"] == "rate_pages"
    assert task(client, write["id"])["state"] == "ready"  # nothing of the step was written
    (listed,) = incidents(client, process_instance_id=started["id"])
    assert listed["trigger"] == "task_completed"

    # The submission merged with the retry's variables must still satisfy the task's form.
    refused = retry(client, body["incident_id"], variables={"pages": 0})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "pages"
    assert _incident(client, body["incident_id"])["attempts"] == 1

    fixed = patch_variables(client, started["id"], modifications={"days": 5})
    assert fixed.status_code == 200, fixed.text
    assert instance(client, started["id"])["status"] == "error"  # kept for the retry
    detail = retry(client, body["incident_id"]).json()
    check = only_ready(detail, "check_rate")
    assert task(client, check["id"])["input"]["pages_per_day"] == 2.0
    done = task(client, write["id"])
    assert (done["state"], done["completed_by"]) == ("completed", "tester")
    assert done["submitted"] == {"title": "年报", "pages": 10}


def test_a_call_that_failed_runs_once_the_called_process_is_deployed(
    client: TestClient,
) -> None:
    deploy_file(client, "calling_process.bpmn")
    started = start_instance(client, "submit_document").json()
    draft = only_ready(started, "draft")
    body = _failed(complete_task(client, draft["id"], {"title": "Annual plan"}))
    assert body["errors"][0]["element_id"] == "get_review"
    assert _failed(retry(client, body["incident_id"]))["incident_id"] == body["incident_id"]
    deploy_file(client, "called_review.bpmn")
    detail = retry(client, body["incident_id"]).json()
    assert detail["status"] == "running"
    assert "draft" in detail["completed_element_ids"]
    assert ready_ids(detail) != []


def test_a_timer_step_that_failed_fires_again_on_retry(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_then_script.bpmn")
    started = start_instance(client, "average_after_delay", variables={"total": 9, "count": 0})
    instance_id = started.json()["id"]
    (job,) = jobs(client, instance_id)
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 1
    (listed,) = incidents(client, process_instance_id=instance_id)
    assert (listed["job_id"], listed["trigger"]) == (job["id"], "timer_fired")
    (failed_job,) = jobs(client, instance_id)
    assert (failed_job["status"], failed_job["retries"], failed_job["attempts"]) == (
        "failed",
        0,
        1,
    )
    detail = retry(client, listed["id"], variables={"count": 3}).json()
    assert ready_ids(detail) == ["review_average"]
    assert jobs(client, instance_id) == []
    assert len(events(client, instance_id, "timer_fired")) == 1  # the failed firing wrote none


def test_a_message_that_failed_is_delivered_again(client: TestClient) -> None:
    deploy_file(client, "op_message_share.bpmn")
    started = start_instance(client, "op_message_share", variables={"parts": 0}).json()
    body = _failed(send_message(client, "op_funds_received", variables={"amount": 10}))
    assert body["errors"][0]["element_id"] == "split_funds"
    (listed,) = incidents(client, process_instance_id=started["id"])
    assert listed["trigger"] == "message_received"
    detail = retry(client, listed["id"], variables={"parts": 4}).json()
    assert ready_ids(detail) == ["register_share"]
    assert detail["variables"]["share"] == 2.5
    received = events(client, started["id"], "message_received")
    assert received[-1]["data"]["variables"] == {"amount": 10, "parts": 4}


def test_a_signal_that_failed_is_delivered_again(client: TestClient) -> None:
    deploy_file(client, "op_signal_share.bpmn")
    started = start_instance(client, "op_signal_share", variables={"amount": 9, "parts": 0})
    instance_id = started.json()["id"]
    sent = client.post(f"{API}/signals", json={"name": "op_budget_released", "variables": {}})
    assert _failed(sent)["errors"][0]["element_id"] == "split_budget"
    (listed,) = incidents(client, process_instance_id=instance_id)
    assert listed["trigger"] == "signal_received"
    detail = retry(client, listed["id"], variables={"parts": 3}).json()
    assert (ready_ids(detail), detail["variables"]["share"]) == (["register_share"], 3.0)


def test_an_incident_of_a_cancelled_instance_is_resolved_not_retried(client: TestClient) -> None:
    deploy_file(client, "script_task.bpmn")
    body = _failed(start_instance(client, "compute_total", variables={"quantity": 2}))
    cancelled = client.post(f"{API}/process-instances/{body['instance_id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    refused = retry(client, body["incident_id"], variables={"price": 1})
    assert (refused.status_code, refused.json()["code"]) == (409, "instance_not_running")
    assert _incident(client, body["incident_id"])["attempts"] == 1
    closed = resolve(client, body["incident_id"], "流程已撤销")
    assert closed.status_code == 200, closed.text
    assert (closed.json()["resolution"], closed.json()["instance_status"]) == (
        "resolved",
        "cancelled",
    )


def test_resolve_closes_an_incident_without_running_anything(client: TestClient) -> None:
    deploy_file(client, "script_task.bpmn")
    body = _failed(start_instance(client, "compute_total", variables={"quantity": 2}))
    answer = resolve(client, body["incident_id"], "价格待财务补录")
    assert answer.status_code == 200, answer.text
    closed = answer.json()
    assert (closed["state"], closed["resolution"], closed["note"]) == (
        "resolved",
        "resolved",
        "价格待财务补录",
    )
    assert closed["instance_status"] == "running"
    detail = instance(client, body["instance_id"])
    assert (detail["status"], detail["ready_tasks"]) == ("running", [])  # the state before
    (event,) = outbox(client, body["instance_id"], "incident.resolved")
    assert (event["resolution"], event["note"], event["status"]) == (
        "resolved",
        "价格待财务补录",
        "running",
    )
    assert audit_rows(client, "incident.resolve")[0]["data"]["note"] == "价格待财务补录"
    assert resolve(client, body["incident_id"], "again").status_code == 409
    assert retry(client, body["incident_id"]).status_code == 409
    # The start it kept runs at the instance's next step: here, the price set by an operator.
    after = patch_variables(client, body["instance_id"], modifications={"price": 5})
    assert after.status_code == 200, after.text
    assert ready_ids(instance(client, body["instance_id"])) == ["confirm_total"]


def test_a_resolved_job_incident_leaves_the_job_failed_to_fire_by_hand(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_then_script.bpmn")
    started = start_instance(client, "average_after_delay", variables={"total": 9, "count": 0})
    instance_id = started.json()["id"]
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 1
    (listed,) = incidents(client, process_instance_id=instance_id)
    # Fixed while in error (kept for later, nothing runs), then closed without a retry.
    assert patch_variables(client, instance_id, modifications={"count": 3}).status_code == 200
    assert resolve(client, listed["id"], "count fixed, fire by hand").status_code == 200
    (job,) = jobs(client, instance_id)
    assert (job["status"], job["retries"]) == ("failed", 0)
    assert run_due(client) == 0  # a failed job is not fired by the scheduler
    fired = execute_job(client, job["id"])
    assert fired.status_code == 200, fired.text
    assert ready_ids(fired.json()) == ["review_average"]


def test_incidents_are_filtered_and_paged_newest_first(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "script_task.bpmn")
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    first = _failed(start_owned(client, "compute_total", quantity=1))
    clock.advance(timedelta(minutes=1))
    owned = start_owned(client, "op_report_rate", days=0).json()
    write = only_ready(owned, "write_report")
    involve(client, write["id"])
    handler = as_caller(client, "involved_handler")
    done = client.post(
        f"{API}/tasks/{write['id']}/complete",
        json={"variables": {"title": "区报", "pages": 3}},
        headers=handler,
    )
    second = _failed(done)
    clock.advance(timedelta(minutes=1))
    third = _failed(start_instance(client, "compute_total", variables={"quantity": 1}))
    page = client.get(f"{API}/incidents", params={"limit": 2}).json()
    assert page["total"] == 3
    assert [i["id"] for i in page["items"]] == [third["incident_id"], second["incident_id"]]
    assert {i["id"] for i in incidents(client, process_key="compute_total")} == {
        first["incident_id"],
        third["incident_id"],
    }
    assert [i["id"] for i in incidents(client, element_id="rate_pages")] == [second["incident_id"]]
    assert [i["id"] for i in incidents(client, unit="320102-DCS")] == [second["incident_id"]]
    assert len(incidents(client, unit=OWNER)) == 2
    since = (frozen_clock + timedelta(seconds=30)).isoformat()
    assert len(incidents(client, since=since)) == 2
    assert resolve(client, first["incident_id"], "duplicate").status_code == 200
    assert [i["id"] for i in incidents(client, state="resolved")] == [first["incident_id"]]
    assert len(incidents(client, state="open", kind="process_error")) == 2
    assert incidents(client, kind="job_failed") == []


def test_only_the_office_that_controls_the_instance_retries_or_resolves(
    client: TestClient,
) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    owned = start_owned(client, "op_report_rate", days=0).json()
    write = only_ready(owned, "write_report")
    involve(client, write["id"])
    done = client.post(
        f"{API}/tasks/{write['id']}/complete",
        json={"variables": {"title": "区报", "pages": 3}},
        headers=as_caller(client, "involved_handler"),
    )
    incident_id = _failed(done)["incident_id"]
    sibling = as_caller(client, "sibling_city_office")
    assert client.get(f"{API}/incidents", headers=sibling).json()["total"] == 0
    assert client.get(f"{API}/incidents/{incident_id}", headers=sibling).status_code == 404
    assert retry(client, incident_id, sibling).status_code == 404
    assert resolve(client, incident_id, "x", sibling).status_code == 404
    involved = as_caller(client, "involved_office")
    assert client.get(f"{API}/incidents/{incident_id}", headers=involved).status_code == 200
    for refused in (
        retry(client, incident_id, involved),
        resolve(client, incident_id, "x", involved),
    ):
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert (problem["action"], problem["object_type"], problem["owner_unit"]) == (
            "incidents.resolve",
            "incident",
            OWNER,
        )
    auditor = as_caller(client, "owner_auditor")
    assert client.get(f"{API}/incidents", headers=auditor).json()["total"] == 1
    denied = retry(client, incident_id, auditor)
    assert (denied.status_code, denied.json()["action"]) == (403, "incidents.resolve")
    unchanged = _incident(client, incident_id)
    assert (unchanged["state"], unchanged["attempts"]) == ("open", 1)
    assert audit_rows(client, "incident.retry") == []
    for who in ("owner_office", "superior_office"):
        assert (
            client.get(f"{API}/incidents/{incident_id}", headers=as_caller(client, who)).status_code
            == 200
        )
    assert retry(client, incident_id, as_caller(client, "owner_office")).status_code == 422
