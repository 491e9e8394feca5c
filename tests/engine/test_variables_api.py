"""Variables over REST: read an instance's (typed) and a ready task's; the office that controls
the instance changes them with a reason — validated, audited, published — and a running process
reacts (timers re-read the dates they name)."""

from datetime import datetime, timedelta

from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    form,
    instance,
    jobs,
    only_ready,
    ready_ids,
    run_due,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from repair_helpers import (
    OWNER,
    as_caller,
    audit_rows,
    involve,
    outbox,
    patch_variables,
    start_owned,
)

from app.kit.clock import clock

REPORT = {"report.json": form("report.json")}
DUE = "2026-03-10T17:00:00+08:00"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _variables(client: TestClient, instance_id: str, headers: dict | None = None) -> dict:
    response = client.get(f"{API}/process-instances/{instance_id}/variables", headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_an_instance_s_variables_are_read_with_their_json_types(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    given = {"due_date": DUE, "count": 3, "ratio": 0.5, "ok": True, "none": None}
    given |= {"tags": ["a"], "owner": {"unit": OWNER}}
    started = start_instance(client, "wait_until_due", variables=given).json()
    body = _variables(client, started["id"])
    assert body["variables"] == given
    assert body["types"] == {
        "due_date": "string",
        "count": "integer",
        "ratio": "number",
        "ok": "boolean",
        "none": "null",
        "tags": "array",
        "owner": "object",
    }
    sibling = as_caller(client, "sibling_city_office")
    url = f"{API}/process-instances/{started['id']}/variables"
    assert client.get(url, headers=sibling).status_code == 404


def test_a_running_instance_takes_the_change_in_a_step(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    started = start_instance(
        client, "wait_until_due", variables={"due_date": DUE, "stale": 1}
    ).json()
    later = "2026-03-20T17:00:00+08:00"
    body = {"modifications": {"due_date": later, "note": "延期"}, "deletions": ["stale"]}
    changed = patch_variables(client, started["id"], reason="经批准延期", **body)
    assert changed.status_code == 200, changed.text
    answer = changed.json()
    assert answer["changes"] == [
        {"name": "due_date", "change": "updated", "before": DUE, "after": later},
        {"name": "note", "change": "created", "before": None, "after": "延期"},
        {"name": "stale", "change": "deleted", "before": 1, "after": None},
    ]
    assert answer["variables"] == {"due_date": later, "note": "延期"}
    assert _variables(client, started["id"])["variables"] == answer["variables"]
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at(later)  # the timer re-read the date it names
    clock.advance(_at(DUE) - frozen_clock + timedelta(seconds=1))
    assert run_due(client) == 0
    (event,) = events(client, started["id"], "variables_set")
    assert (event["actor"], event["data"]["reason"]) == ("tester", "经批准延期")
    (published,) = outbox(client, started["id"], "instance.variables_changed")
    assert (published["reason"], published["task_id"]) == ("经批准延期", None)
    assert published["changes"] == answer["changes"]
    (row,) = audit_rows(client, "instance.variables.update")
    assert (row["object_id"], row["unit_code"]) == (started["id"], "320000-DCS")
    assert row["data"]["changes"] == answer["changes"]


def test_put_and_delete_one_variable(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    started = start_instance(client, "wait_until_due", variables={"due_date": DUE}).json()
    url = f"{API}/process-instances/{started['id']}/variables"
    put = client.put(f"{url}/priority", json={"value": {"level": 2}, "reason": "升级"})
    assert put.status_code == 200, put.text
    assert put.json()["types"]["priority"] == "object"
    deleted = client.delete(f"{url}/priority", params={"reason": "误设"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["changes"] == [
        {"name": "priority", "change": "deleted", "before": {"level": 2}, "after": None}
    ]
    assert client.delete(f"{url}/priority", params={"reason": "again"}).status_code == 422
    assert client.delete(f"{url}/due_date").status_code == 422  # a reason is required
    assert [r["data"]["reason"] for r in audit_rows(client, "instance.variables.update")] == [
        "误设",
        "升级",
    ]


def test_refused_changes_name_the_field_and_change_nothing(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    deploy_file(client, "timer_due_date.bpmn")
    started = start_owned(client, "op_report_rate", days=2, title="年报").json()
    before = _variables(client, started["id"])
    cases = [
        ({"modifications": {"_secret": 1}}, "modifications/_secret"),
        ({"modifications": {"ok": {"typename": "x"}}}, "modifications/ok/typename"),
        ({"modifications": {"pages": 0}}, "modifications/pages"),  # report.json: minimum 1
        ({"modifications": {"title": 7}}, "modifications/title"),
        ({"deletions": ["missing"]}, "deletions/0"),
        ({"modifications": {"days": 3}, "deletions": ["days"]}, "deletions/0"),
        ({}, "modifications"),
    ]
    for body, field in cases:
        refused = patch_variables(client, started["id"], **body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in [e.get("field") for e in refused.json()["errors"]], refused.json()
    assert (
        patch_variables(client, started["id"], modifications={"x": 1}, reason="").status_code == 422
    )
    # A change with which the running process fails is refused: no incident, nothing written.
    waiting = start_instance(client, "wait_until_due", variables={"due_date": DUE}).json()
    broken = patch_variables(client, waiting["id"], modifications={"due_date": "soon"})
    assert broken.status_code == 422, broken.text
    assert broken.json()["errors"][0]["element_id"] == "due_date_reached"
    after = instance(client, waiting["id"])
    assert (after["status"], after["incidents"]) == ("running", [])
    assert _variables(client, started["id"]) == before
    assert audit_rows(client, "instance.variables.update") == []


def test_only_the_office_that_controls_the_instance_changes_variables(
    client: TestClient,
) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    started = start_owned(client, "op_report_rate", days=2).json()
    write = only_ready(started, "write_report")
    involve(client, write["id"])
    body = {"modifications": {"days": 9}, "reason": "x"}
    url = f"{API}/process-instances/{started['id']}/variables"
    sibling = as_caller(client, "sibling_city_office")
    assert client.patch(url, json=body, headers=sibling).status_code == 404
    involved = as_caller(client, "involved_office")
    assert _variables(client, started["id"], involved)["variables"] == {"days": 2}
    for response in (
        client.patch(url, json=body, headers=involved),
        client.put(f"{url}/days", json={"value": 9, "reason": "x"}, headers=involved),
        client.delete(f"{url}/days", params={"reason": "x"}, headers=involved),
        client.patch(f"{API}/tasks/{write['id']}/variables", json=body, headers=involved),
    ):
        assert response.status_code == 403, response.text
        problem = response.json()
        assert (problem["action"], problem["owner_unit"]) == ("instances.modify", OWNER)
    auditor = as_caller(client, "owner_auditor")
    assert client.patch(url, json=body, headers=auditor).json()["action"] == "instances.modify"
    assert _variables(client, started["id"])["variables"] == {"days": 2}
    owner = as_caller(client, "owner_office")
    assert client.patch(url, json=body, headers=owner).status_code == 200


def test_a_finished_instance_s_variables_are_not_changed(client: TestClient) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    started = start_instance(client, "op_report_rate", variables={"days": 2}).json()
    cancelled = client.post(f"{API}/process-instances/{started['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    refused = patch_variables(client, started["id"], modifications={"days": 3})
    assert (refused.status_code, refused.json()["code"]) == (409, "instance_not_running")


def test_a_task_s_own_variables_are_read_and_changed_alone(client: TestClient) -> None:
    deploy_file(client, "op_report_rate.bpmn", forms=REPORT)
    started = start_instance(client, "op_report_rate", variables={"days": 2}).json()
    write = only_ready(started, "write_report")
    url = f"{API}/tasks/{write['id']}/variables"
    read = client.get(url)
    assert read.status_code == 200, read.text
    assert read.json() == {"variables": {"days": 2}, "types": {"days": "integer"}}
    refused = client.patch(url, json={"modifications": {"pages": "many"}, "reason": "x"})
    assert refused.json()["errors"][0]["field"] == "modifications/pages"
    body = {"modifications": {"title": "草稿", "pages": 4}, "reason": "预填"}
    changed = client.patch(url, json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["variables"] == {"days": 2, "title": "草稿", "pages": 4}
    assert client.get(url).json()["variables"] == changed.json()["variables"]
    assert task(client, write["id"])["input"]["title"] == "草稿"
    assert _variables(client, started["id"])["variables"] == {"days": 2}  # the task's own
    (published,) = outbox(client, started["id"], "instance.variables_changed")
    assert published["task_id"] == write["id"]
    assert audit_rows(client, "task.variables.update")[0]["object_id"] == write["id"]
    (event,) = events(client, started["id"], "task_variables_set")
    assert event["element_id"] == "write_report"
    done = complete_task(client, write["id"], {"title": "年报", "pages": 8})
    assert done.status_code == 200, done.text
    assert ready_ids(done.json()) == ["check_rate"]
    assert client.get(url).json()["code"] == "task_not_ready"
    assert client.patch(url, json=body).status_code == 409
