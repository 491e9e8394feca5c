"""History across instances through REST, on SQLite and PostgreSQL: the activity instances the
steps write (human tasks, timers, gateways, scripts, subprocesses, cancelled ones), the list's
filters and scope, and per-element statistics with durations known from a moved clock."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import login
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    only_ready,
    run_due,
    start_instance,
)
from fastapi.testclient import TestClient

from app.kit.clock import clock

HOUR = 3_600_000  # ms


def rows(client: TestClient, **params: Any) -> list[dict]:
    """Every activity instance the filters pick, oldest first (the API answers newest first)."""
    response = client.get(f"{API}/history/activity-instances", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def shape(found: list[dict]) -> list[tuple]:
    return [(r["element_id"], r["element_type"], r["state"], r["duration_ms"]) for r in found]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- what the steps write ------------------------------------------------------------------


def test_a_user_task_a_gateway_and_events_get_rows_with_their_durations(
    client: TestClient, frozen_clock: datetime
) -> None:
    definition = deploy_file(client, "exclusive_gateway.bpmn")
    started = start_instance(client, "route_by_amount").json()
    enter = only_ready(started, "enter_amount")
    clock.advance(timedelta(hours=1))
    after = complete_task(client, enter["id"], {"amount": 2000}).json()
    found = rows(client, process_instance_id=started["id"])
    assert shape(found) == [
        ("start", "StartEvent", "completed", 0),
        ("enter_amount", "UserTask", "completed", HOUR),
        ("amount_is_large", "ExclusiveGateway", "completed", 0),
        ("director_approves", "UserTask", "active", None),
    ]
    task_row = found[1]
    assert task_row["task_id"] == enter["id"] and task_row["element_name"] == enter["name"]
    assert (task_row["actor"], task_row["unit"]) == ("tester", "320000-DCS")
    assert at(task_row["started_at"]) == frozen_clock
    assert at(task_row["ended_at"]) == frozen_clock + timedelta(hours=1)
    assert {(r["definition_id"], r["process_key"], r["version"]) for r in found} == {
        (definition["id"], "route_by_amount", 1)
    }
    waiting = found[3]
    assert waiting["task_id"] == only_ready(after, "director_approves")["id"]
    assert (waiting["ended_at"], waiting["actor"]) == (None, None)


def test_a_timer_row_lasts_until_the_timer_fires(client: TestClient, frozen_clock: datetime):
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off").json()
    assert shape(rows(client, process_instance_id=started["id"]))[-1] == (
        "cooling_off",
        "IntermediateCatchEvent",
        "active",
        None,
    )
    clock.advance(timedelta(hours=2, minutes=30))  # the scheduler comes half an hour late
    assert run_due(client) == 1
    found = rows(client, process_instance_id=started["id"])
    assert shape(found) == [
        ("start", "StartEvent", "completed", 0),
        ("cooling_off", "IntermediateCatchEvent", "completed", 2.5 * HOUR),
        ("confirm_decision", "UserTask", "active", None),
    ]
    assert found[1]["actor"] is None
    assert at(found[2]["started_at"]) == frozen_clock + timedelta(hours=2, minutes=30)


def test_a_script_inside_a_subprocess_and_the_subprocess_itself(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "embedded_subprocess.bpmn")
    started = start_instance(client, "handle_case").json()
    clock.advance(timedelta(minutes=30))
    complete_task(client, only_ready(started, "gather_facts")["id"], {"facts": "two witnesses"})
    assert shape(rows(client, process_instance_id=started["id"])) == [
        ("start", "StartEvent", "completed", 0),
        ("investigation_start", "StartEvent", "completed", 0),
        ("investigate", "SubWorkflowTask", "completed", HOUR // 2),
        ("gather_facts", "UserTask", "completed", HOUR // 2),
        ("summarise_facts", "ScriptTask", "completed", 0),
        ("investigation_end", "EndEvent", "completed", 0),
        ("decide_case", "UserTask", "active", None),
    ]


def test_a_call_activity_lasts_while_the_called_process_runs(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "called_review.bpmn")
    deploy_file(client, "calling_process.bpmn")
    started = start_instance(client, "submit_document").json()
    after = complete_task(client, only_ready(started, "draft")["id"], {"title": "Plan"}).json()
    active = rows(client, process_instance_id=started["id"], state="active")
    assert [(r["element_id"], r["element_type"]) for r in active] == [
        ("get_review", "CallActivity"),
        ("review", "UserTask"),  # inside the called process, recorded on the caller
    ]
    call = active[0]
    clock.advance(timedelta(hours=3))
    complete_task(client, only_ready(after, "review")["id"], {"verdict": "fine"})
    (call,) = rows(client, process_instance_id=started["id"], element_id=call["element_id"])
    assert (call["state"], call["duration_ms"]) == ("completed", 3 * HOUR)


def test_cancelled_tasks_a_fired_boundary_event_and_a_cancelled_instance(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_boundary.bpmn")
    started = start_instance(client, "answer_within_deadline").json()
    clock.advance(timedelta(days=30, hours=1))
    assert run_due(client) == 1
    found = rows(client, process_instance_id=started["id"])
    assert shape(found) == [
        ("start", "StartEvent", "completed", 0),
        ("answer_inquiry", "UserTask", "cancelled", (30 * 24 + 1) * HOUR),
        ("deadline_passed", "BoundaryEvent", "completed", 0),
        ("escalate_to_director", "UserTask", "active", None),
    ]
    assert found[1]["actor"] is None
    clock.advance(timedelta(minutes=6))
    assert client.post(f"{API}/process-instances/{started['id']}/cancel").status_code == 200
    assert shape(rows(client, process_instance_id=started["id"]))[-1] == (
        "escalate_to_director",
        "UserTask",
        "cancelled",
        HOUR // 10,
    )


def test_each_inner_instance_of_a_multi_instance_task_is_a_row(client: TestClient) -> None:
    deploy_file(client, "multi_instance_parallel.bpmn")
    started = start_instance(client, "collect_opinions", variables={"units": ["a", "b"]}).json()
    found = rows(client, process_instance_id=started["id"], element_id="give_opinion")
    assert [(r["element_type"], r["state"]) for r in found] == [("UserTask", "active")] * 2
    assert {r["task_id"] for r in found} == {t["id"] for t in started["ready_tasks"]}


def test_a_task_given_to_another_unit_takes_its_row_along(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    step_1 = only_ready(started, "step_1")["id"]
    moved = client.post(f"{API}/tasks/{step_1}/assign", json={"unit": "320100-DCS"})
    assert moved.status_code == 200, moved.text
    (found,) = rows(client, unit="320100-DCS")
    assert (found["task_id"], found["state"]) == (step_1, "active")


# --- the list: filters, order, scope ------------------------------------------------------


@pytest.fixture
def two_processes(client: TestClient, frozen_clock: datetime) -> dict[str, Any]:
    """Route A (the province's, its amount entered after an hour) at 09:00; route B (the
    city's, waiting) at 11:00; versioned_process v1 and v2, one instance each, at 12:00."""
    deploy_file(client, "exclusive_gateway.bpmn")
    a = start_instance(client, "route_by_amount").json()
    clock.advance(timedelta(hours=1))
    complete_task(client, only_ready(a, "enter_amount")["id"], {"amount": 10})
    clock.advance(timedelta(hours=1))
    b = start_instance(client, "route_by_amount", unit="320100-DCS").json()
    clock.advance(timedelta(hours=1))
    v1 = deploy_file(client, "versioned_v1.bpmn")
    one = start_instance(client, "versioned_process").json()
    v2 = deploy_file(client, "versioned_v2.bpmn")
    two = start_instance(client, "versioned_process").json()
    return {"a": a, "b": b, "v1": v1, "v2": v2, "one": one, "two": two, "t0": frozen_clock}


def test_filters_pick_exactly_the_rows_they_name(client: TestClient, two_processes: dict):
    a, b, t0 = two_processes["a"], two_processes["b"], two_processes["t0"]

    def ids(**params: Any) -> set[str]:
        return {r["instance_id"] for r in rows(client, **params)}

    def elements(**params: Any) -> list[str]:
        return [r["element_id"] for r in rows(client, **params)]

    assert ids(process_key="route_by_amount") == {a["id"], b["id"]}
    assert ids(process_key="versioned_process", version=2) == {two_processes["two"]["id"]}
    assert ids(definition_id=two_processes["v1"]["id"]) == {two_processes["one"]["id"]}
    assert ids(element_id="enter_amount") == {a["id"], b["id"]}
    assert ids(unit="320100-DCS") == {b["id"]}
    assert elements(actor="tester") == ["enter_amount"]
    assert ids(state="completed", element_id="enter_amount") == {a["id"]}
    assert ids(state="active", process_key="route_by_amount") == {a["id"], b["id"]}
    assert elements(process_instance_id=b["id"]) == ["start", "enter_amount"]
    two_hours = (t0 + timedelta(hours=2)).isoformat()
    assert ids(started_after=two_hours, process_key="route_by_amount") == {b["id"]}
    assert ids(started_before=two_hours) == {a["id"]}
    one_hour = (t0 + timedelta(hours=1)).isoformat()
    assert elements(ended_after=one_hour, ended_before=two_hours) == [
        "enter_amount",
        "amount_is_large",
    ]
    assert ids(state="cancelled") == set()


def test_the_list_is_paged_newest_first(client: TestClient, two_processes: dict):
    everything = client.get(f"{API}/history/activity-instances").json()
    assert everything["total"] == len(rows(client)) == 10
    starts = [at(r["started_at"]) for r in everything["items"]]
    assert starts == sorted(starts, reverse=True)
    first = client.get(f"{API}/history/activity-instances", params={"limit": 5}).json()
    rest = client.get(f"{API}/history/activity-instances", params={"limit": 10, "offset": 5})
    paged = [r["id"] for r in (*first["items"], *rest.json()["items"])]
    assert paged == [r["id"] for r in everything["items"]]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "open"},
        {"version": 0},
        {"started_after": "yesterday"},
        {"definition_id": "not-a-uuid"},
        {"limit": 0},
        {"unit": "x" * 201},
    ],
)
def test_a_bad_filter_is_422_naming_it(client: TestClient, params: dict) -> None:
    response = client.get(f"{API}/history/activity-instances", params=params)
    assert response.status_code == 422, response.text
    (name,) = params
    assert any(name in e["field"] for e in response.json()["errors"])


def test_each_reader_sees_the_history_of_the_instances_it_may_read(
    client: TestClient, two_processes: dict
) -> None:
    city = login(client, sub="c", unit="320100-DCS", roles=["supervision_office"])
    wuxi = login(client, sub="w", unit="320200-DCS", roles=["leader"])
    handler = login(client, sub="h", unit="320100-DCS", roles=["unit_handler"])
    path = f"{API}/history/activity-instances"
    seen = client.get(path, headers=city).json()["items"]
    assert {r["instance_id"] for r in seen} == {two_processes["b"]["id"]}
    assert client.get(path, headers=wuxi).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
        "total_is_estimate": False,
        "next_cursor": None,
    }
    refused = client.get(path, headers=handler)
    assert refused.status_code == 403 and refused.json()["action"] == "history.read"


# --- statistics ----------------------------------------------------------------------------


def statistics(client: TestClient, **params: Any) -> dict:
    response = client.get(f"{API}/history/element-statistics", params=params)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def by_element(body: dict) -> dict[str, dict]:
    return {e["element_id"]: e for e in body["elements"]}


def test_statistics_of_known_durations(client: TestClient, frozen_clock: datetime) -> None:
    """Five instances start at 09:00: the amount of three is entered after 1, 2 and 4 hours,
    one waits, one is cancelled at 10:00. Percentiles interpolate as percentile_cont does."""
    definition = deploy_file(client, "exclusive_gateway.bpmn")
    started = [start_instance(client, "route_by_amount").json() for _ in range(5)]
    tasks = [only_ready(s, "enter_amount")["id"] for s in started]
    clock.advance(timedelta(hours=1))
    complete_task(client, tasks[0], {"amount": 2000})
    assert client.post(f"{API}/process-instances/{started[4]['id']}/cancel").status_code == 200
    clock.advance(timedelta(hours=1))
    complete_task(client, tasks[1], {"amount": 2000})
    clock.advance(timedelta(hours=2))
    complete_task(client, tasks[2], {"amount": 10})

    body = statistics(client, definition_id=definition["id"])
    assert (body["process_key"], body["version"], body["unit"]) == ("route_by_amount", 1, None)
    elements = by_element(body)
    assert sorted(elements) == [
        "amount_is_large",
        "clerk_approves",
        "director_approves",
        "enter_amount",
        "start",
    ]
    enter = elements["enter_amount"]
    assert (enter["element_type"], enter["element_name"]) == ("UserTask", "Enter the amount")
    assert (enter["active"], enter["completed"], enter["cancelled"], enter["incidents"]) == (
        1,
        3,
        1,
        0,
    )
    assert enter["duration"] == {
        "count": 3,
        "mean": 8400.0,  # (1 + 2 + 4) h / 3
        "p50": 7200.0,
        "p95": 13680.0,  # 2 h + 0.9 × (4 h − 2 h)
        "max": 14400.0,
    }
    gateway = elements["amount_is_large"]
    assert (gateway["completed"], gateway["duration"]["p95"]) == (3, 0.0)
    assert (elements["director_approves"]["active"], elements["clerk_approves"]["active"]) == (
        2,
        1,
    )
    assert elements["director_approves"]["duration"] == {
        "count": 0,
        "mean": None,
        "p50": None,
        "p95": None,
        "max": None,
    }
    assert elements["start"]["completed"] == 5
    assert statistics(client, process_key="route_by_amount") == body
    assert statistics(client, process_key="route_by_amount", version=1) == body


def test_statistics_by_version_and_by_unit(client: TestClient) -> None:
    deploy_file(client, "versioned_v1.bpmn")
    start_instance(client, "versioned_process")
    start_instance(client, "versioned_process", unit="320100-DCS")
    v2 = deploy_file(client, "versioned_v2.bpmn")
    start_instance(client, "versioned_process")
    latest = statistics(client, process_key="versioned_process")
    assert (latest["definition_id"], latest["version"]) == (v2["id"], 2)
    assert by_element(latest)["first_step"]["active"] == 1
    v1 = statistics(client, process_key="versioned_process", version=1)
    assert by_element(v1)["first_step"]["active"] == 2
    city = statistics(client, process_key="versioned_process", version=1, unit="320100-DCS")
    assert city["unit"] == "320100-DCS"
    assert by_element(city)["first_step"]["active"] == 1
    assert statistics(client, definition_id=v2["id"], unit="320200-DCS")["elements"] == []


def test_open_incidents_are_counted_on_their_element(client: TestClient) -> None:
    deploy_file(client, "failing_condition.bpmn")
    started = start_instance(client, "split_budget").json()
    enter = only_ready(started, "enter_budget")["id"]
    assert complete_task(client, enter, {"budget": 1000, "parts": 0}).status_code == 422
    elements = by_element(statistics(client, process_key="split_budget"))
    # The failed step wrote nothing: the task waits; the gateway has only its incident.
    assert (elements["enter_budget"]["active"], elements["enter_budget"]["incidents"]) == (1, 0)
    assert elements["share_is_large"] == {
        "element_id": "share_is_large",
        "element_type": None,
        "element_name": None,
        "active": 0,
        "completed": 0,
        "cancelled": 0,
        "incidents": 1,
        "duration": {"count": 0, "mean": None, "p50": None, "p95": None, "max": None},
    }


def test_statistics_name_what_they_are_about_or_refuse(client: TestClient) -> None:
    definition = deploy_file(client, "five_steps.bpmn")
    path = f"{API}/history/element-statistics"
    for params, field in (
        ({}, "definition_id"),
        ({"definition_id": definition["id"], "process_key": "five_steps"}, "definition_id"),
        ({"definition_id": definition["id"], "version": 1}, "version"),
        ({"process_key": "five_steps", "version": 0}, "version"),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        assert any(field in e["field"] for e in response.json()["errors"]), response.json()
    for params in (
        {"definition_id": str(uuid.uuid4())},
        {"process_key": "no_such_process"},
        {"process_key": "five_steps", "version": 2},
    ):
        assert client.get(path, params=params).status_code == 404, params
    handler = login(client, sub="h", unit="320000-FGW", roles=["unit_handler"])
    refused = client.get(path, params={"process_key": "five_steps"}, headers=handler)
    assert refused.status_code == 403
    empty = statistics(client, process_key="five_steps")
    assert empty["elements"] == []
