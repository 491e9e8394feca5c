"""Instance modification over REST (issue 16, item 3), as Camunda 7's
`GET /process-instance/{id}/activity-instances` and `POST /process-instance/{id}/modification`:
the live tree, cancel / start before / start after, and the repair of a failed instance.
Subprocesses, called processes, validation, access and races: test_modification_rules.py."""

from datetime import timedelta

from conftest import TESTER
from engine_helpers import (
    complete_task,
    deploy_file,
    events,
    execute_job,
    history,
    instance,
    jobs,
    only_ready,
    ready_ids,
    start_instance,
    task,
)
from events.events_helpers import events as feed
from fastapi.testclient import TestClient
from modification_helpers import (
    at_draft,
    at_review,
    audit_rows,
    live,
    modified,
    modify,
    tree,
)

DISTRICT = "320102-DCS"


# --- the live tree ---------------------------------------------------------------------------


def test_the_tree_names_each_live_element_with_what_it_waits_for(client: TestClient):
    started = at_draft(client)
    activities = tree(client, started["id"])["activities"]
    draft = only_ready(started, "draft_report")
    by_element = {a["element_id"]: a for a in activities}
    assert set(by_element) == {"draft_report", "report_overdue"}
    assert by_element["draft_report"] == {
        **by_element["draft_report"],
        "id": draft["id"],
        "task_id": draft["id"],
        "state": "READY",
        "element_type": "UserTask",
        "parent_id": None,
        "scope": "repair_report",
    }
    overdue = by_element["report_overdue"]
    [job] = jobs(client, started["id"])
    assert overdue["state"] == "WAITING" and overdue["attached_to"] == draft["id"]
    assert overdue["due_at"] == job["due_at"] and overdue["task_id"] is None


def test_the_tree_shows_subprocesses_and_multi_instances_as_parents(client: TestClient):
    deploy_file(client, "embedded_subprocess.bpmn")
    case = start_instance(client, "handle_case").json()
    [holder] = live(client, case["id"], "investigate")
    [gather] = live(client, case["id"], "gather_facts")
    assert holder["state"] == "STARTED" and holder["parent_id"] is None
    assert gather["parent_id"] == holder["id"] and gather["scope"] == "investigate"
    deploy_file(client, "multi_instance_parallel.bpmn")
    opinions = start_instance(client, "collect_opinions", variables={"units": ["a", "b"]}).json()
    [outer] = live(client, opinions["id"], "give_opinion")[:1]
    inner = [a for a in live(client, opinions["id"], "give_opinion") if a["id"] != outer["id"]]
    assert outer["state"] == "STARTED" and len(inner) == 2
    assert {a["parent_id"] for a in inner} == {outer["id"]}


# --- cancel ----------------------------------------------------------------------------------


def test_cancelling_a_user_task_and_starting_before_another_in_one_step(client: TestClient):
    started = at_draft(client)
    draft = only_ready(started, "draft_report")
    after = modified(
        client,
        started["id"],
        {"type": "cancel", "activity_instance_id": draft["id"]},
        {"type": "start_before", "element_id": "review", "variables": {"note": "skip"}},
    )
    assert after["status"] == "running" and ready_ids(after) == ["review"]
    assert task(client, draft["id"])["state"] == "cancelled"
    assert jobs(client, started["id"]) == []  # the boundary timer went with its activity
    assert complete_task(client, draft["id"]).status_code == 409
    [entry] = events(client, started["id"], "instance_modified")
    assert entry["actor"] == TESTER["sub"] and entry["data"]["reason"] == "a wrong step"
    assert [i["type"] for i in entry["data"]["instructions"]] == ["cancel", "start_before"]
    cancelled = {c["element_id"] for c in entry["data"]["cancelled"]}
    assert cancelled == {"draft_report", "report_overdue"}
    [row] = audit_rows(client, started["id"])
    assert row["data"]["reason"] == "a wrong step" and len(row["data"]["instructions"]) == 2
    review = only_ready(after, "review")
    assert task(client, review["id"])["input"]["note"] == "skip"
    done = complete_task(client, review["id"], {"accepted": True})
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_cancelling_the_last_live_element_cancels_the_instance(client: TestClient):
    started = at_draft(client)
    after = modified(client, started["id"], {"type": "cancel", "element_id": "draft_report"})
    assert after["status"] == "cancelled" and after["ready_tasks"] == []
    assert jobs(client, started["id"]) == []
    [ended] = events(client, started["id"], "instance_cancelled")
    assert ended["data"] == {"reason": "the modification left nothing live"}
    types = [e["type"] for e in feed(client, "admin") if e["subject"] == started["id"]]
    assert "ducha.instance.modified" in types and "ducha.instance.cancelled" in types


def test_cancelling_a_waiting_timer_removes_its_job(client: TestClient):
    started = at_draft(client, total=10, count=4)
    waiting = complete_task(client, only_ready(started, "draft_report")["id"]).json()
    [job] = jobs(client, started["id"])
    assert job["element_id"] == "cooling_off"
    after = modified(
        client,
        waiting["id"],
        {"type": "start_before", "element_id": "review"},
        {"type": "cancel", "element_id": "cooling_off"},
    )
    assert jobs(client, started["id"]) == [] and ready_ids(after) == ["review"]
    assert execute_job(client, job["id"]).status_code == 404


def test_cancelling_a_boundary_timer_keeps_its_activity(client: TestClient):
    started = at_draft(client)
    [overdue] = live(client, started["id"], "report_overdue")
    after = modified(
        client, started["id"], {"type": "cancel", "activity_instance_id": overdue["id"]}
    )
    assert ready_ids(after) == ["draft_report"] and jobs(client, started["id"]) == []


# --- start before / after --------------------------------------------------------------------


def test_starting_before_a_user_task_makes_a_task_with_its_unit_and_due_date(
    client: TestClient, frozen_clock
):
    reviewing = at_review(client)
    after = modified(
        client,
        reviewing["id"],
        {"type": "start_before", "element_id": "draft_report", "variables": {"unit": DISTRICT}},
    )
    assert ready_ids(after) == ["draft_report", "review"]
    draft = only_ready(after, "draft_report")
    assert draft["unit_code"] == DISTRICT
    assert draft["due_at"].startswith((frozen_clock + timedelta(days=3)).date().isoformat())
    [job] = jobs(client, reviewing["id"])  # its boundary timer waits with it
    assert job["element_id"] == "report_overdue"
    assert job["due_at"].startswith((frozen_clock + timedelta(days=10)).date().isoformat())
    [created] = [
        e for e in events(client, reviewing["id"], "task_created") if e["task_id"] == draft["id"]
    ]
    assert created["element_id"] == "draft_report"
    [entry] = events(client, reviewing["id"], "instance_modified")
    assert entry["data"]["started"] == [
        {"instruction": 0, "activity_instance_id": draft["id"], "element_id": "draft_report"}
    ]


def test_starting_before_a_timer_creates_its_job(client: TestClient, frozen_clock):
    started = at_draft(client)
    after = modified(
        client,
        started["id"],
        {"type": "cancel", "element_id": "draft_report"},
        {"type": "start_before", "element_id": "cooling_off"},
    )
    assert after["status"] == "running" and after["ready_tasks"] == []
    [job] = jobs(client, started["id"])
    assert job["element_id"] == "cooling_off"
    assert job["due_at"].startswith((frozen_clock + timedelta(hours=2)).isoformat()[:16])
    [waiting] = live(client, started["id"], "cooling_off")
    assert waiting["state"] == "WAITING" and waiting["due_at"] == job["due_at"]
    fired = execute_job(client, job["id"])
    assert fired.status_code == 200 and ready_ids(fired.json()) == ["review"]


def test_starting_after_a_gateway_needs_the_flow_when_it_has_several(client: TestClient):
    reviewing = at_review(client)
    review = only_ready(reviewing, "review")
    refused = modify(
        client,
        reviewing["id"],
        {"type": "cancel", "activity_instance_id": review["id"]},
        {"type": "start_after", "element_id": "approved"},
    )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["field"] == "instructions/1" and problem["element_id"] == "approved"
    assert problem["flows"] == {"flow_accepted": "end", "flow_rejected": "redo_report"}
    assert ready_ids(instance(client, reviewing["id"])) == ["review"]
    after = modified(
        client,
        reviewing["id"],
        {"type": "cancel", "activity_instance_id": review["id"]},
        {"type": "start_after", "element_id": "approved", "flow_id": "flow_rejected"},
    )
    assert ready_ids(after) == ["redo_report"]
    ended = modified(
        client,
        reviewing["id"],
        {"type": "start_after", "element_id": "approved", "flow_id": "flow_accepted"},
        {"type": "cancel", "element_id": "redo_report"},
    )
    assert ended["status"] == "completed"


# --- repairing a failed instance -------------------------------------------------------------


def test_starting_after_a_failing_script_repairs_the_failed_instance(client: TestClient):
    started = at_draft(client)  # no total, no count: the script fails
    draft = only_ready(started, "draft_report")
    failed = complete_task(client, draft["id"])
    assert failed.status_code == 422 and failed.json()["code"] == "process_error"
    broken = instance(client, started["id"])
    assert broken["status"] == "error" and broken["incidents"][0]["resolved_at"] is None
    after = modified(
        client,
        started["id"],
        {"type": "cancel", "element_id": "draft_report"},
        {"type": "start_after", "element_id": "compute_average", "variables": {"average": 0}},
    )
    assert after["status"] == "running"
    assert [i["resolved_at"] is not None for i in after["incidents"]] == [True]
    [job] = jobs(client, started["id"])
    assert job["element_id"] == "cooling_off"
    assert events(client, started["id"], "incident_resolved")[0]["data"]["resolution"] == "modified"
    reviewing = execute_job(client, job["id"]).json()
    assert task(client, only_ready(reviewing, "review")["id"])["input"]["average"] == 0
    types = [
        e["type"] for e in feed(client, "admin") if e["data"].get("instance_id") == started["id"]
    ]
    assert "ducha.incident.resolved" in types


def test_a_failed_start_is_repaired_by_starting_after_the_script(client: TestClient):
    deploy_file(client, "script_task.bpmn")
    failed = start_instance(client, "compute_total")  # no price, no quantity
    assert failed.status_code == 422
    instance_id = failed.json()["instance_id"]
    assert tree(client, instance_id)["activities"] == []
    after = modified(
        client,
        instance_id,
        {"type": "start_after", "element_id": "add_up", "variables": {"total": 5}},
    )
    assert after["status"] == "running" and ready_ids(after) == ["confirm_total"]
    confirm = only_ready(after, "confirm_total")
    assert task(client, confirm["id"])["input"]["total"] == 5
    assert complete_task(client, confirm["id"]).json()["status"] == "completed"


def test_a_modification_whose_process_fails_changes_nothing(client: TestClient):
    started = at_draft(client)
    before = history(client, started["id"])
    response = modify(
        client,
        started["id"],
        {"type": "cancel", "element_id": "draft_report"},
        {"type": "start_before", "element_id": "compute_average"},  # no total: fails again
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "modification_failed"
    assert body["errors"][0]["element_id"] == "compute_average"
    now = instance(client, started["id"])
    assert now["status"] == "running" and now["incidents"] == []
    assert ready_ids(now) == ["draft_report"] and history(client, started["id"]) == before
    assert audit_rows(client, started["id"]) == []


def test_a_failed_timer_is_cancelled_and_its_script_skipped(client: TestClient):
    deploy_file(client, "timer_then_script.bpmn")
    started = start_instance(client, "average_after_delay").json()  # no total: fails
    [job] = jobs(client, started["id"])
    assert execute_job(client, job["id"]).status_code == 422
    assert jobs(client, started["id"])[0]["status"] == "failed"
    after = modified(
        client,
        started["id"],
        {"type": "cancel", "element_id": "one_day"},
        {"type": "start_after", "element_id": "compute_average", "variables": {"average": 2}},
    )
    assert after["status"] == "running" and ready_ids(after) == ["review_average"]
    assert jobs(client, started["id"]) == []
    assert all(i["resolved_at"] is not None for i in after["incidents"])


def test_a_failed_timer_left_waiting_fires_again_after_the_repair(client: TestClient):
    deploy_file(client, "timer_then_script.bpmn")
    started = start_instance(client, "average_after_delay").json()
    [job] = jobs(client, started["id"])
    assert execute_job(client, job["id"]).status_code == 422
    after = modified(
        client,
        started["id"],
        {"type": "start_before", "element_id": "review_average", "variables": {"average": 0}},
    )
    assert after["status"] == "running" and ready_ids(after) == ["review_average"]
    [again] = jobs(client, started["id"])
    assert again["id"] == job["id"] and again["status"] == "waiting"
