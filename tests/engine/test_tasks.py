"""User, manual and script tasks, forms, claiming, lanes, cancel and history over REST."""

from datetime import datetime, timedelta

import pytest
from engine_helpers import (
    API,
    as_user,
    complete_task,
    deploy_file,
    events,
    forget_workflows,
    form,
    history,
    instance,
    only_ready,
    start_instance,
    task,
)
from fastapi.testclient import TestClient


def _start_report(client: TestClient) -> dict:
    deploy_file(client, "user_task_form.bpmn", forms={"report.json": form("report.json")})
    response = start_instance(client, "file_report", variables={"unit": "east"})
    assert response.status_code == 201, response.text
    return response.json()


def test_user_task_shows_its_form_and_input(client: TestClient) -> None:
    started = _start_report(client)
    detail = task(client, only_ready(started, "write_report")["id"])
    assert detail["form"] == "report.json"
    assert detail["form_schema"]["required"] == ["title", "pages"]
    assert detail["documentation"] == "Write the report of the inspection."
    assert detail["input"] == {"unit": "east"}
    assert detail["element_type"] == "UserTask"


def test_form_violation_is_refused_naming_the_field_and_changes_nothing(
    client: TestClient,
) -> None:
    started = _start_report(client)
    task_id = only_ready(started, "write_report")["id"]
    before = history(client, started["id"])
    forget_workflows(client)
    response = complete_task(client, task_id, {"title": "Visit", "pages": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_data"
    assert [e["field"] for e in body["errors"]] == ["pages"]
    missing = complete_task(client, task_id, {"pages": 3})
    assert missing.status_code == 422
    assert "title" in missing.json()["errors"][0]["message"]
    assert task(client, task_id)["state"] == "ready"
    after = instance(client, started["id"])
    assert after["variables"] == {"unit": "east"}
    assert history(client, started["id"]) == before


def test_valid_form_then_manual_task_completes_the_process(client: TestClient) -> None:
    started = _start_report(client)
    write_id = only_ready(started, "write_report")["id"]
    response = complete_task(client, write_id, {"title": "Visit", "pages": 3}, user="alice")
    assert response.status_code == 200, response.text
    sign = only_ready(response.json(), "sign_paper")
    assert sign["element_type"] == "ManualTask"
    forget_workflows(client)
    done = complete_task(client, sign["id"], user="bob").json()
    assert done["status"] == "completed"
    assert done["ended_at"] is not None
    assert done["variables"] == {"unit": "east", "title": "Visit", "pages": 3}
    written = task(client, write_id)
    assert written["state"] == "completed"
    assert written["completed_by"] == "alice"
    assert written["submitted"] == {"title": "Visit", "pages": 3}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"_secret": 1}, "_secret"),
        ({"__builtins__": {}}, "__builtins__"),
        ({"typename": "BpmnWorkflow"}, "typename"),
        ({"outer": {"inner": [{"typename": "x"}]}}, "outer/inner/0/typename"),
        ({"outer": {"_hidden": True}}, "outer/_hidden"),
    ],
)
def test_reserved_keys_are_refused(client: TestClient, variables: dict, field: str) -> None:
    deploy_file(client, "five_steps.bpmn")
    refused_start = start_instance(client, "five_steps", variables=variables)
    assert refused_start.status_code == 422
    assert refused_start.json()["errors"][0]["field"] == field
    started = start_instance(client, "five_steps").json()
    step = only_ready(started, "step_1")
    refused = complete_task(client, step["id"], variables)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field
    assert task(client, step["id"])["state"] == "ready"


def test_deeply_nested_data_is_refused_not_a_crash(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    nested: object = "bottom"
    for _ in range(300):
        nested = {"inner": [nested]}
    refused_start = start_instance(client, "five_steps", variables={"deep": nested})
    assert refused_start.status_code == 422
    assert "nested deeper" in refused_start.json()["errors"][0]["message"]
    step = only_ready(start_instance(client, "five_steps").json(), "step_1")
    refused = complete_task(client, step["id"], {"deep": nested})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("deep/inner/0/inner")
    fine = {"a": {"b": {"c": [1, {"d": "e"}]}}}
    assert complete_task(client, step["id"], fine).status_code == 200


def test_completing_a_completed_or_unknown_task_is_refused(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    step_id = only_ready(started, "step_1")["id"]
    assert complete_task(client, step_id).status_code == 200
    again = complete_task(client, step_id)
    assert again.status_code == 409
    assert again.json()["code"] == "task_not_ready"
    unknown = complete_task(client, "00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert instance(client, started["id"])["ready_tasks"][0]["element_id"] == "step_2"


def test_claim_unclaim_and_assign(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    task_id = only_ready(started, "step_1")["id"]
    claimed = client.post(f"{API}/tasks/{task_id}/claim", headers=as_user(client, "alice"))
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "alice"
    again = client.post(f"{API}/tasks/{task_id}/claim", headers=as_user(client, "alice"))
    assert again.status_code == 200
    taken = client.post(f"{API}/tasks/{task_id}/claim", headers=as_user(client, "bob"))
    assert taken.status_code == 409
    assert taken.json()["code"] == "task_claimed"
    assert complete_task(client, task_id, user="bob").status_code == 409
    unclaimed = client.post(f"{API}/tasks/{task_id}/unclaim", headers=as_user(client, "alice"))
    assert unclaimed.json()["assignee"] is None
    assert (
        client.post(f"{API}/tasks/{task_id}/claim", headers=as_user(client, "bob")).status_code
        == 200
    )
    assigned = client.post(
        f"{API}/tasks/{task_id}/assign",
        json={"assignee": "carol"},
        headers=as_user(client, "boss"),
    )
    assert assigned.json()["assignee"] == "carol"
    mine = client.get(f"{API}/tasks", params={"assignee": "carol"}).json()
    assert [t["id"] for t in mine["items"]] == [task_id]
    assert complete_task(client, task_id, user="carol").status_code == 200
    kinds = [e["event"] for e in history(client, started["id"]) if e["task_id"] == task_id]
    assert kinds == [
        "task_created",
        "task_claimed",
        "task_unclaimed",
        "task_claimed",
        "task_assigned",
        "task_completed",
    ]
    assert events(client, started["id"], "task_assigned")[0]["actor"] == "boss"


def test_claim_needs_a_user_and_a_ready_task(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    task_id = only_ready(started, "step_1")["id"]
    anonymous = client.post(f"{API}/tasks/{task_id}/claim", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    complete_task(client, task_id)
    late = client.post(f"{API}/tasks/{task_id}/claim", headers=as_user(client, "alice"))
    assert late.status_code == 409


def test_an_overlong_user_name_is_refused(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    task_id = only_ready(started, "step_1")["id"]
    too_long = as_user(client, "u" * 300)
    # An identity that does not fit is refused at authentication, before any change.
    assert client.post(f"{API}/tasks/{task_id}/claim", headers=too_long).status_code == 401
    assert complete_task(client, task_id, user="u" * 300).status_code == 401
    assert task(client, task_id)["state"] == "ready"


def test_lane_gives_the_task_its_lane_and_candidate_group(client: TestClient) -> None:
    deploy_file(client, "lanes.bpmn")
    started = start_instance(client, "approve_leave").json()
    check = only_ready(started, "check_request")
    assert (check["lane"], check["candidate_groups"]) == ("unit_handler", ["unit_handler"])
    for_clerks = client.get(f"{API}/tasks", params={"candidate_group": "unit_handler"}).json()
    assert [t["id"] for t in for_clerks["items"]] == [check["id"]]
    after = complete_task(client, check["id"]).json()
    approve = only_ready(after, "approve_request")
    assert (approve["lane"], approve["candidate_groups"]) == ("unit_head", ["unit_head"])
    assert (
        client.get(f"{API}/tasks", params={"candidate_group": "unit_handler"}).json()["total"] == 0
    )


def test_script_task_computes_with_the_restricted_engine(client: TestClient) -> None:
    deploy_file(client, "script_task.bpmn")
    started = start_instance(client, "compute_total", variables={"price": 12.5, "quantity": 4})
    confirm = only_ready(started.json(), "confirm_total")
    assert task(client, confirm["id"])["input"]["total"] == 50.0
    assert task(client, confirm["id"])["input"]["label"] == "4 x 12.5"
    script_events = events(client, started.json()["id"], "element_completed")
    assert ("add_up", "ScriptTask") in [(e["element_id"], e["element_type"]) for e in script_events]


def test_cancel_ends_the_instance_and_its_tasks(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    task_id = only_ready(started, "step_1")["id"]
    forget_workflows(client)
    cancelled = client.post(
        f"{API}/process-instances/{started['id']}/cancel", headers=as_user(client, "chief")
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["ready_tasks"] == []
    assert task(client, task_id)["state"] == "cancelled"
    assert complete_task(client, task_id).status_code == 409
    again = client.post(f"{API}/process-instances/{started['id']}/cancel")
    assert again.status_code == 409
    assert events(client, started["id"], "instance_cancelled")[0]["actor"] == "chief"
    listed = client.get(f"{API}/process-instances", params={"status": "cancelled"}).json()
    assert [i["id"] for i in listed["items"]] == [started["id"]]


def test_history_records_every_step_with_its_actor(client: TestClient) -> None:
    deploy_file(client, "script_task.bpmn")
    started = client.post(
        f"{API}/process-instances",
        json={"process_key": "compute_total", "variables": {"price": 1, "quantity": 2}},
        headers=as_user(client, "alice"),
    ).json()
    complete_task(client, only_ready(started, "confirm_total")["id"], {"ok": True}, user="bob")
    recorded = history(client, started["id"])
    assert [(e["event"], e["element_id"]) for e in recorded] == [
        ("instance_started", None),
        ("element_completed", "start"),
        ("element_completed", "add_up"),
        ("task_created", "confirm_total"),
        ("task_completed", "confirm_total"),
        ("element_completed", "end"),
        ("instance_completed", None),
    ]
    assert recorded[0]["actor"] == "alice"
    assert recorded[4]["actor"] == "bob"
    assert recorded[4]["data"] == {"data": {"ok": True}}
    assert client.get(f"{API}/process-instances/{started['id']}/history").status_code == 200
    missing = client.get(f"{API}/process-instances/00000000-0000-0000-0000-000000000000/history")
    assert missing.status_code == 404


def test_task_properties_give_due_dates_and_candidates(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "task_properties.bpmn")
    started = start_instance(
        client, "answer_letter", variables={"received_on": "2026-03-01", "unit": "east"}
    ).json()
    draft = only_ready(started, "draft_answer")
    assert draft["candidate_groups"] == ["supervision_office", "office_head"]
    assert _at(draft["due_at"]) == frozen_clock + timedelta(days=3)
    soon = (frozen_clock + timedelta(days=4)).isoformat()
    due_soon = client.get(f"{API}/tasks", params={"due_before": soon}).json()
    assert [t["id"] for t in due_soon["items"]] == [draft["id"]]
    after = complete_task(client, draft["id"]).json()
    send = only_ready(after, "send_answer")
    assert send["candidate_units"] == ["east"]
    # A date is due at the end of that day, China time.
    assert _at(send["due_at"]) == _at("2026-03-11T15:59:59Z")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
