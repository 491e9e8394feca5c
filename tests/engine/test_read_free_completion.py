"""A completion of a task whose workflow this process keeps warm reads nothing: the task and its
instance row come from what the step that kept it wrote (service.prime_from_warm), and the
completion's write checks them again. Whatever another request changed in between — a claim,
a re-assignment to another unit, a new version of the instance — is found by that write, and
the completion is decided again on what the database holds."""

import uuid

from conftest import TESTER, login
from engine_helpers import (
    API,
    as_user,
    complete_task,
    deploy_file,
    history,
    instance,
    only_ready,
    start_instance,
)
from fastapi.testclient import TestClient
from rest import caught_up
from sql_sent import statements
from sqlalchemy import update

from app.config import Settings
from app.engine.persist.models import ProcessInstance, TaskRecord
from app.main import create_app


def _started(client: TestClient) -> dict:
    deploy_file(client, "five_steps.bpmn")
    response = start_instance(client, "five_steps", variables={"amount": 1})
    assert response.status_code == 201, response.text
    return response.json()


def _change(client: TestClient, model: type, row_id: str, **values: object) -> None:
    """What another service process on the same database commits."""
    with client.app.state.db.engine.begin() as conn:  # type: ignore[attr-defined]
        changed = conn.execute(update(model).where(model.id == uuid.UUID(row_id)).values(values))
        assert changed.rowcount == 1


def test_a_warm_completion_reads_neither_the_task_nor_the_instance(client: TestClient) -> None:
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    with statements(client) as seen:
        response = complete_task(client, first, {"checked": True})
    assert response.status_code == 200, response.text
    reads = [s for s in seen if s.startswith("SELECT") and _reads_task_or_instance(s)]
    assert reads == []
    # ... and it did what a completion does: the task is completed, the next one is ready.
    detail = instance(client, started["id"])
    assert [t["element_id"] for t in detail["ready_tasks"]] == ["step_2"]
    task = client.get(f"{API}/tasks/{first}").json()
    assert task["state"] == "completed"


def _reads_task_or_instance(statement: str) -> bool:
    return "FROM tasks" in statement or "FROM process_instances" in statement


def _completed_events(client: TestClient, instance_id: str) -> list[dict]:
    return [e for e in history(client, instance_id) if e["event"] == "task_completed"]


def _refused_with_nothing_kept(client: TestClient, response, code: str, started: dict) -> None:
    """409 `code`, and nothing of the refused step stays."""
    assert response.status_code == 409, response.text
    assert response.json()["code"] == code
    assert _completed_events(client, started["id"]) == []


def test_a_claim_by_another_process_is_found_by_the_write(client: TestClient) -> None:
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    # Another service process claims the task: its row changes, the instance row does not.
    _change(client, TaskRecord, first, assignee="someone")
    response = complete_task(client, first, {"checked": True})
    _refused_with_nothing_kept(client, response, "task_claimed", started)
    assert "someone" in response.json()["detail"]
    assert client.get(f"{API}/tasks/{first}").json()["state"] == "ready"


def _claimed_by_alice(client: TestClient) -> tuple[dict, str]:
    """A started instance and its first task, claimed by alice through this process."""
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    claimed = client.post(f"{API}/tasks/{first}/claim", headers=as_user(client, "alice"))
    assert claimed.status_code == 200, claimed.text
    return started, first


def test_a_claim_in_this_process_holds_against_another_user(client: TestClient) -> None:
    started, first = _claimed_by_alice(client)
    refused = complete_task(client, first, {"checked": True}, user="bob")
    _refused_with_nothing_kept(client, refused, "task_claimed", started)


def test_the_claimer_completes_in_one_attempt_and_the_event_names_them(
    client: TestClient,
) -> None:
    started, first = _claimed_by_alice(client)
    with statements(client) as seen:
        done = complete_task(client, first, {"checked": True}, user="alice")
    assert done.status_code == 200, done.text
    # The kept task row knows no assignee; the write accepts the claimer's own claim and
    # brings the assignee back: one attempt, no read.
    assert len([s for s in seen if "UPDATE process_instances" in s]) == 1
    assert [s for s in seen if s.startswith("SELECT") and _reads_task_or_instance(s)] == []
    [event] = _completed_events(client, started["id"])
    assert event["actor"] == "alice"
    caught_up(client)  # another database's open transaction can hold the feed back a moment
    feed = client.get(f"{API}/events", params={"type": "task.completed"}).json()["items"]
    [completed] = [e for e in feed if e["data"]["task_id"] == first]
    assert (completed["data"]["assignee"], completed["data"]["actor"]) == ("alice", "alice")


def test_with_no_retries_a_kept_row_changed_elsewhere_still_gets_the_true_answer(
    settings: Settings,
) -> None:
    # DUCHA_CONFLICT_RETRIES=0: the write that found the kept rows changed runs the completion
    # again at once on the database, without using up a retry.
    with TestClient(create_app(settings.model_copy(update={"conflict_retries": 0}))) as client:
        client.headers.update(login(client, **TESTER))
        started = _started(client)
        first = only_ready(started, "step_1")["id"]
        _change(client, TaskRecord, first, assignee="someone")
        response = complete_task(client, first, {"checked": True})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "task_claimed"


def test_a_new_version_of_the_instance_is_found_by_the_write(client: TestClient) -> None:
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    # Another process suspended the instance: every change of its row bumps the version.
    version = ProcessInstance.lock_version + 1
    _change(client, ProcessInstance, started["id"], status="suspended", lock_version=version)
    response = complete_task(client, first, {"checked": True})
    _refused_with_nothing_kept(client, response, "suspended", started)


def test_a_refusal_on_the_kept_rows_is_decided_again_on_the_database(
    client: TestClient,
) -> None:
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    # Another process gave the task to another unit: its kept row still names the owner's.
    _change(client, TaskRecord, first, unit_code="320000-FGW")
    clerk = login(client, sub="fgw-clerk", unit="320000-FGW", roles=["unit_handler"])
    response = client.post(
        f"{API}/tasks/{first}/complete", json={"variables": {"checked": True}}, headers=clerk
    )
    assert response.status_code == 200, response.text
    [event] = _completed_events(client, started["id"])
    assert event["actor"] == "fgw-clerk"


def test_a_task_given_away_is_not_completed_by_its_former_unit(client: TestClient) -> None:
    started = _started(client)
    first = only_ready(started, "step_1")["id"]
    dcs_clerk = login(client, sub="dcs-clerk", unit="320000-DCS", roles=["unit_handler"])
    _change(client, TaskRecord, first, unit_code="320000-FGW")
    response = client.post(
        f"{API}/tasks/{first}/complete", json={"variables": {"checked": True}}, headers=dcs_clerk
    )
    assert response.status_code in (403, 404), response.text
    assert _completed_events(client, started["id"]) == []


def test_warm_completions_to_the_end_match_what_the_database_holds(client: TestClient) -> None:
    started = _started(client)
    detail = started
    for step in range(1, 6):
        task_id = only_ready(detail, f"step_{step}")["id"]
        response = complete_task(client, task_id, {"step": step})
        assert response.status_code == 200, response.text
        detail = response.json()
        assert detail == instance(client, started["id"])
    assert detail["status"] == "completed"
    assert len(_completed_events(client, started["id"])) == 5


def test_a_kept_task_row_holds_no_input_data(client: TestClient) -> None:
    # What is kept per warm instance stays small: the task's input is the workflow's to hold.
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps", variables={"report": "x" * 10_000}).json()
    first = only_ready(started, "step_1")["id"]
    kept = client.app.state.engine.workflows.holding(uuid.UUID(first))  # type: ignore[attr-defined]
    assert kept is not None
    assert "input" not in kept.tasks[uuid.UUID(first)]
    assert client.get(f"{API}/tasks/{first}").json()["input"]["report"] == "x" * 10_000
    assert complete_task(client, first, {"checked": True}).status_code == 200
