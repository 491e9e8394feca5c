"""Exclusive, parallel and inclusive gateways, multi-instance tasks and failing conditions."""

import pytest
from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    forget_workflows,
    instance,
    only_ready,
    ready_ids,
    start_instance,
    task,
)
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("amount", "approver"), [(5000, "director_approves"), (1000, "clerk_approves")]
)
def test_exclusive_gateway_takes_the_matching_flow_or_the_default(
    client: TestClient, amount: int, approver: str
) -> None:
    deploy_file(client, "exclusive_gateway.bpmn")
    started = start_instance(client, "route_by_amount").json()
    routed = complete_task(client, only_ready(started, "enter_amount")["id"], {"amount": amount})
    assert ready_ids(routed.json()) == [approver]
    forget_workflows(client)
    done = complete_task(client, only_ready(routed.json(), approver)["id"]).json()
    assert done["status"] == "completed"
    assert "amount_is_large" in done["completed_element_ids"]
    assert "approvals_merge" in done["completed_element_ids"]


def test_parallel_gateway_waits_for_both_branches(client: TestClient) -> None:
    deploy_file(client, "parallel_gateway.bpmn")
    started = start_instance(client, "review_in_parallel").json()
    assert ready_ids(started) == ["finance_review", "legal_review"]
    after_legal = complete_task(
        client, only_ready(started, "legal_review")["id"], {"legal_ok": True}
    ).json()
    assert after_legal["status"] == "running"
    assert ready_ids(after_legal) == ["finance_review"]
    assert "reviews_join" not in after_legal["completed_element_ids"]
    forget_workflows(client)
    done = complete_task(
        client, only_ready(after_legal, "finance_review")["id"], {"finance_ok": True}
    ).json()
    assert done["status"] == "completed"
    assert done["variables"]["both_done"] is True
    assert done["completed_element_ids"].count("combine_reviews") == 1


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (["a"], ["notify_unit_a"]),
        (["a", "c"], ["notify_unit_a", "notify_unit_c"]),
        (["a", "b", "c"], ["notify_unit_a", "notify_unit_b", "notify_unit_c"]),
    ],
)
def test_inclusive_gateway_activates_every_true_flow_and_joins_them(
    client: TestClient, units: list[str], expected: list[str]
) -> None:
    deploy_file(client, "inclusive_gateway.bpmn")
    current = start_instance(client, "notify_units", variables={"units": units}).json()
    assert ready_ids(current) == expected
    for element_id in expected:
        assert current["status"] == "running"
        forget_workflows(client)
        current = complete_task(client, only_ready(current, element_id)["id"]).json()
    assert current["status"] == "completed"
    assert current["completed_element_ids"].count("units_join") == 1


def test_inclusive_gateway_without_a_true_flow_is_a_process_error(client: TestClient) -> None:
    deploy_file(client, "inclusive_gateway.bpmn")
    response = start_instance(client, "notify_units", variables={"units": []})
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["errors"][0]["element_id"]) == ("process_error", "choose_units")
    assert instance(client, body["instance_id"])["status"] == "error"


def test_parallel_multi_instance_creates_one_task_per_item(client: TestClient) -> None:
    deploy_file(client, "multi_instance_parallel.bpmn")
    units = ["east", "west", "north"]
    current = start_instance(client, "collect_opinions", variables={"units": units}).json()
    tasks = current["ready_tasks"]
    assert [t["element_id"] for t in tasks] == ["give_opinion"] * 3
    by_unit = {task(client, t["id"])["input"]["unit"]: t["id"] for t in tasks}
    assert sorted(by_unit) == sorted(units)
    for unit in ["west", "north", "east"]:
        assert current["status"] == "running"
        forget_workflows(client)
        current = complete_task(client, by_unit[unit], {"opinion": f"{unit} agrees"}).json()
    assert current["status"] == "completed"
    # SpiffWorkflow appends outputs in completion order, not item order: an output item
    # that must stay linked to its input item has to carry it (e.g. {"unit": ..., ...}).
    assert current["variables"]["opinions"] == ["west agrees", "north agrees", "east agrees"]
    assert current["variables"]["opinion_count"] == 3


def test_sequential_multi_instance_offers_one_task_at_a_time(client: TestClient) -> None:
    deploy_file(client, "multi_instance_sequential.bpmn")
    signers = ["clerk", "deputy", "director"]
    current = start_instance(client, "sign_in_turn", variables={"signers": signers}).json()
    for signer in signers:
        (ready,) = current["ready_tasks"]
        assert task(client, ready["id"])["input"]["signer"] == signer
        forget_workflows(client)
        current = complete_task(client, ready["id"], {"signature": f"signed by {signer}"}).json()
    assert current["status"] == "completed"
    assert current["variables"]["signatures"] == [f"signed by {s}" for s in signers]


def test_multi_instance_over_an_empty_collection_skips_the_task(client: TestClient) -> None:
    deploy_file(client, "multi_instance_parallel.bpmn")
    done = start_instance(client, "collect_opinions", variables={"units": []}).json()
    assert done["status"] == "completed"
    assert done["variables"]["opinion_count"] == 0


@pytest.mark.parametrize("variables", [{}, {"units": None}])
def test_multi_instance_over_a_missing_collection_is_an_incident_naming_an_element(
    client: TestClient, variables: dict
) -> None:
    deploy_file(client, "multi_instance_parallel.bpmn")
    response = start_instance(client, "collect_opinions", variables=variables)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] is not None, error
    (incident,) = instance(client, response.json()["instance_id"])["incidents"]
    assert incident["element_id"] == error["element_id"]


@pytest.mark.parametrize(
    ("variables", "reason"),
    [({"budget": 1000, "parts": 0}, "ZeroDivisionError"), ({"budget": 1000}, "parts")],
)
def test_failing_condition_puts_the_instance_in_error_and_the_service_keeps_working(
    client: TestClient, variables: dict, reason: str
) -> None:
    deploy_file(client, "failing_condition.bpmn")
    started = start_instance(client, "split_budget").json()
    task_id = only_ready(started, "enter_budget")["id"]
    response = complete_task(client, task_id, variables)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "process_error"
    assert body["errors"][0]["element_id"] == "share_is_large"
    assert reason in body["detail"]
    failed = instance(client, started["id"])
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert incident["element_id"] == "share_is_large"
    assert reason in incident["message"]
    assert events(client, started["id"], "incident_raised")[0]["element_id"] == "share_is_large"
    assert complete_task(client, task_id, {"budget": 1, "parts": 1}).status_code in (409,)
    other = start_instance(client, "split_budget").json()
    routed = complete_task(
        client, only_ready(other, "enter_budget")["id"], {"budget": 1000, "parts": 2}
    )
    assert routed.status_code == 200
    assert ready_ids(routed.json()) == ["director_signs"]
    assert client.get("/health").json()["status"] == "ok"
    errors = client.get(f"{API}/process-instances", params={"status": "error"}).json()
    assert [i["id"] for i in errors["items"]] == [started["id"]]


def test_a_short_engine_loop_runs_to_its_end(client: TestClient) -> None:
    deploy_file(client, "counting_loop.bpmn")
    started = start_instance(client, "count_up", variables={"counter": 0, "limit": 50}).json()
    check = only_ready(started, "check_count")
    assert task(client, check["id"])["input"]["counter"] == 50


def test_a_loop_that_never_waits_becomes_an_incident(client: TestClient) -> None:
    deploy_file(client, "counting_loop.bpmn")
    response = start_instance(client, "count_up", variables={"counter": 0, "limit": 10**9})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "process_error"
    assert body["errors"][0]["element_id"] in ("count_again", "add_one", "limit_reached")
    assert "without waiting" in body["detail"]
    assert instance(client, body["instance_id"])["status"] == "error"
    healthy = start_instance(client, "count_up", variables={"counter": 0, "limit": 3})
    assert healthy.status_code == 201


@pytest.mark.parametrize(
    ("variables", "reason"),
    [({"units_by_name": {}, "chosen": "nowhere"}, "nowhere"), ({"units_by_name": {}}, "chosen")],
)
def test_a_broken_candidate_unit_is_an_incident_naming_the_element_not_a_task_to_nobody(
    client: TestClient, variables: dict, reason: str
) -> None:
    deploy_file(client, "broken_candidate_unit.bpmn")
    started = start_instance(client, "route_to_unit").json()
    response = complete_task(client, only_ready(started, "choose_unit")["id"], variables)
    assert response.status_code == 422
    assert response.json()["errors"][0]["element_id"] == "unit_handles"
    failed = instance(client, started["id"])
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert incident["element_id"] == "unit_handles"
    assert "candidateUnit" in incident["message"] and reason in incident["message"]
    tasks = client.get(f"{API}/tasks", params={"instance_id": started["id"]}).json()["items"]
    assert [t["element_id"] for t in tasks if t["state"] == "ready"] == ["choose_unit"]


@pytest.mark.parametrize(
    ("variables", "reason"),
    [({}, "reply_due"), ({"reply_due": "next week"}, "next week"), ({"reply_due": 7}, "7")],
)
def test_a_broken_due_date_is_an_incident_naming_the_element_not_a_task_without_deadline(
    client: TestClient, variables: dict, reason: str
) -> None:
    deploy_file(client, "broken_due_date.bpmn")
    started = start_instance(client, "due_from_data").json()
    response = complete_task(client, only_ready(started, "set_due")["id"], variables)
    assert response.status_code == 422
    assert response.json()["errors"][0]["element_id"] == "handle_by_due"
    failed = instance(client, started["id"])
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert incident["element_id"] == "handle_by_due"
    assert "dueDate" in incident["message"] and reason in incident["message"]


@pytest.mark.parametrize(
    ("reply_due", "due_at"),
    [(None, None), ("2026-12-31", "2026-12-31T15:59:59Z")],
)
def test_a_due_date_expression_gives_the_date_or_none(
    client: TestClient, reply_due: str | None, due_at: str | None
) -> None:
    deploy_file(client, "broken_due_date.bpmn")
    started = start_instance(client, "due_from_data").json()
    response = complete_task(client, only_ready(started, "set_due")["id"], {"reply_due": reply_due})
    assert response.status_code == 200, response.text
    task = only_ready(response.json(), "handle_by_due")
    assert task["due_at"] == due_at
