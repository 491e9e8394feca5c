"""Timer jobs an operator repairs: retries with exponential backoff (capped), a job out of
retries as an incident, retries given back, a due date moved (it fires at the new time, once)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TESTER, login
from engine_helpers import (
    API,
    deploy_file,
    events,
    execute_job,
    instance,
    jobs,
    ready_ids,
    run_due,
    start_instance,
)
from fastapi.testclient import TestClient
from repair_helpers import (
    OWNER,
    as_caller,
    audit_rows,
    incidents,
    involve,
    patch_variables,
    retry,
    start_owned,
)

from app.config import Settings
from app.engine import StepContext
from app.engine.runtime.jobs import backoff_seconds
from app.kit.clock import clock
from app.kit.errors import DomainError
from app.main import create_app


class Held(DomainError):
    """What a domain answers when it refuses a step (here: while the instance says `hold`)."""

    status, code = 409, "held"


def _hold_timers(context: StepContext) -> None:
    """A domain rule of the test: a timer's step is refused while the variable `hold` is set."""
    events = context.events
    if events.trigger == "timer_fired" and events.instance.variables.get("hold"):
        raise Held("the office holds this matter's timers")


@pytest.fixture
def held_client(settings: Settings) -> Iterator[TestClient]:
    """A service whose timers' steps a domain refuses while `hold` is set; jobs get 4 attempts
    and a backoff of 2 s doubled, capped at 3 s."""
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    tuned = settings.model_copy(
        update={"job_max_attempts": 4, "job_backoff_seconds": 2.0, "job_backoff_max_seconds": 3.0}
    )
    with TestClient(create_app(tuned)) as client:
        client.headers.update(login(client, **TESTER))
        client.app.state.engine.steps.every_step("test.hold", _hold_timers)  # type: ignore[attr-defined]
        yield client
    clock.reset()


def _held_instance(client: TestClient) -> str:
    deploy_file(client, "timer_then_script.bpmn")
    variables = {"total": 9, "count": 3, "hold": True}
    started = start_instance(client, "average_after_delay", variables=variables)
    assert started.status_code == 201, started.text
    instance_id: str = started.json()["id"]
    clock.advance(timedelta(days=1, seconds=1))
    return instance_id


def _job(client: TestClient, instance_id: str) -> dict:
    (job,) = jobs(client, instance_id)
    return job


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_backoff_doubles_up_to_its_cap() -> None:
    table = [(1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0), (10, 10.0)]
    assert [(n, backoff_seconds(n, first=2.0, cap=10.0)) for n, _ in table] == table


def test_a_refused_job_backs_off_then_fails_with_an_incident_and_is_retried(
    held_client: TestClient,
) -> None:
    client = held_client
    instance_id = _held_instance(client)
    waits = []
    for left in (3, 2, 1):
        assert run_due(client) == 1
        job = _job(client, instance_id)
        assert (job["status"], job["retries"], job["attempts"]) == ("waiting", left, 4 - left)
        assert job["last_error"] == "Held: the office holds this matter's timers"
        waits.append((_at(job["next_attempt_at"]) - clock.now()).total_seconds())
        assert run_due(client) == 0  # waits out its backoff
        clock.advance(timedelta(seconds=waits[-1]))
    assert waits == [2.0, 3.0, 3.0]  # 2, 4 → capped at 3, 8 → 3
    assert run_due(client) == 1
    job = _job(client, instance_id)
    assert (job["status"], job["retries"], job["attempts"]) == ("failed", 0, 4)
    (incident,) = incidents(client, process_instance_id=instance_id)
    assert (incident["kind"], incident["job_id"], incident["trigger"]) == (
        "job_failed",
        job["id"],
        "timer_fired",
    )
    assert instance(client, instance_id)["status"] == "error"

    # Retried while the domain still refuses: 422, the attempt counted on both, committed.
    refused = retry(client, incident["id"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "process_error"
    assert client.get(f"{API}/incidents/{incident['id']}").json()["attempts"] == 2
    assert _job(client, instance_id)["attempts"] == 5
    assert audit_rows(client, "incident.retry")[0]["data"]["failed"] is True

    assert patch_variables(client, instance_id, modifications={"hold": False}).status_code == 200
    detail = retry(client, incident["id"]).json()
    assert ready_ids(detail) == ["review_average"]
    assert jobs(client, instance_id) == []


def test_retries_given_to_a_failed_job_make_it_wait_and_fire_again(
    held_client: TestClient,
) -> None:
    client = held_client
    instance_id = _held_instance(client)
    job_id = _job(client, instance_id)["id"]
    put = {"retries": 0, "reason": "停止催办，待核实"}
    stopped = client.put(f"{API}/jobs/{job_id}/retries", json=put)
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["status"], stopped.json()["retries"]) == ("failed", 0)
    (incident,) = incidents(client, process_instance_id=instance_id, state="open")
    assert incident["kind"] == "job_failed"
    assert "停止催办" in incident["message"]
    assert run_due(client) == 0

    given = client.put(f"{API}/jobs/{job_id}/retries", json={"retries": 2, "reason": "核实完毕"})
    assert given.status_code == 200, given.text
    assert (given.json()["status"], given.json()["retries"]) == ("waiting", 2)
    closed = client.get(f"{API}/incidents/{incident['id']}").json()
    assert closed["resolution"] == "retried"
    assert instance(client, instance_id)["status"] == "running"
    assert run_due(client) == 1  # fires, and the domain still refuses: one retry taken
    assert _job(client, instance_id)["retries"] == 1
    # A running instance takes the change in a step, which refreshes its timers: this one is
    # past due, so it fires in that step (once: its job goes with it).
    assert patch_variables(client, instance_id, modifications={"hold": False}).status_code == 200
    assert ready_ids(instance(client, instance_id)) == ["review_average"]
    assert jobs(client, instance_id) == []
    clock.advance(timedelta(seconds=3))
    assert run_due(client) == 0
    trail = audit_rows(client, "job.retries")
    assert [r["data"]["after"]["retries"] for r in trail] == [2, 0]
    assert trail[0]["data"]["before"] == {"retries": 0, "status": "failed"}


def test_a_moved_due_date_fires_at_the_new_time_once(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off", variables={"note": "a"}).json()
    job = _job(client, started["id"])
    later = frozen_clock + timedelta(hours=5)
    moved = client.put(
        f"{API}/jobs/{job['id']}/due-date",
        json={"due_at": later.isoformat(), "reason": "当事人申请延后"},
    )
    assert moved.status_code == 200, moved.text
    assert _at(moved.json()["due_at"]) == later
    assert _at(_job(client, started["id"])["due_at"]) == later
    clock.advance(timedelta(hours=3))  # past the old due time
    assert run_due(client) == 0
    # Another step of the instance refreshes its timers: the moved one does not fire either.
    assert patch_variables(client, started["id"], modifications={"note": "b"}).status_code == 200
    assert ready_ids(instance(client, started["id"])) == []
    clock.advance(timedelta(hours=2, seconds=1))
    assert run_due(client) == 1
    assert run_due(client) == 0
    assert ready_ids(instance(client, started["id"])) == ["confirm_decision"]
    assert len(events(client, started["id"], "timer_fired")) == 1
    (row,) = audit_rows(client, "job.due_date")
    assert row["data"]["reason"] == "当事人申请延后"
    assert _at(row["data"]["before"]["due_at"]) == frozen_clock + timedelta(hours=2)


def test_a_due_date_moved_earlier_fires_then(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off").json()
    job = _job(client, started["id"])
    sooner = frozen_clock + timedelta(minutes=30)
    body = {"due_at": sooner.isoformat(), "reason": "提前"}
    assert client.put(f"{API}/jobs/{job['id']}/due-date", json=body).status_code == 200
    clock.advance(timedelta(minutes=31))
    assert run_due(client) == 1
    assert ready_ids(instance(client, started["id"])) == ["confirm_decision"]


def test_job_repairs_refused_change_nothing(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    deploy_file(client, "timer_then_script.bpmn")
    started = start_owned(client, "wait_cooling_off").json()
    job = _job(client, started["id"])
    url = f"{API}/jobs/{job['id']}"
    past = {"due_at": (frozen_clock - timedelta(hours=1)).isoformat(), "reason": "x"}
    refused = client.put(f"{url}/due-date", json=past)
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "due_at")
    assert client.put(f"{url}/retries", json={"retries": -1, "reason": "x"}).status_code == 422
    assert client.put(f"{url}/retries", json={"retries": 1}).status_code == 422  # no reason
    later = {"due_at": (frozen_clock + timedelta(hours=9)).isoformat(), "reason": "x"}
    sibling = as_caller(client, "sibling_city_office")
    assert client.put(f"{url}/due-date", json=later, headers=sibling).status_code == 404
    auditor = as_caller(client, "owner_auditor")
    assert (
        client.put(f"{url}/retries", json={"retries": 1, "reason": "x"}, headers=auditor).json()[
            "action"
        ]
        == "jobs.execute"
    )
    unchanged = _job(client, started["id"])
    assert (unchanged["due_at"], unchanged["retries"]) == (job["due_at"], None)
    # A failed job is not moved: give it retries first.
    failing = start_instance(
        client, "average_after_delay", variables={"total": 1, "count": 0}
    ).json()
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 2
    failed = _job(client, failing["id"])
    later = {"due_at": (clock.now() + timedelta(hours=1)).isoformat(), "reason": "x"}
    assert client.put(f"{API}/jobs/{failed['id']}/due-date", json=later).status_code == 409
    assert execute_job(client, failed["id"]).status_code == 409  # its instance is in error
    assert audit_rows(client, "job.due_date") == []


def test_the_involved_office_sees_the_job_but_may_not_repair_it(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_boundary.bpmn")
    started = start_owned(client, "answer_within_deadline").json()
    (answer,) = started["ready_tasks"]
    involve(client, answer["id"])
    job = _job(client, started["id"])
    involved = as_caller(client, "involved_office")
    assert client.get(f"{API}/jobs", headers=involved).json()["total"] == 1
    body = {"due_at": (frozen_clock + timedelta(days=40)).isoformat(), "reason": "x"}
    refused = client.put(f"{API}/jobs/{job['id']}/due-date", json=body, headers=involved)
    assert refused.status_code == 403, refused.text
    assert (refused.json()["object_type"], refused.json()["owner_unit"]) == ("job", OWNER)
    owner = as_caller(client, "owner_office")
    moved = client.put(f"{API}/jobs/{job['id']}/due-date", json=body, headers=owner)
    assert moved.status_code == 200, moved.text
