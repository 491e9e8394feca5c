"""Timer events driven by the service clock: boundary, intermediate, dates and cycles."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from engine_helpers import (
    API,
    complete_task,
    deploy_file,
    events,
    execute_job,
    forget_workflows,
    instance,
    jobs,
    only_ready,
    ready_ids,
    run_due,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event

from app.engine.runtime.scheduler import Scheduler
from app.kit.clock import clock


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_interrupting_boundary_timer_fires_once_when_due(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_boundary.bpmn")
    started = start_instance(client, "answer_within_deadline").json()
    answer = only_ready(started, "answer_inquiry")
    (job,) = jobs(client, started["id"])
    assert (job["element_id"], job["kind"], job["status"]) == (
        "deadline_passed",
        "timer",
        "waiting",
    )
    assert _at(job["due_at"]) == frozen_clock + timedelta(days=30)
    assert started["waiting_timers"][0]["id"] == job["id"]
    clock.advance(timedelta(days=29, hours=23))
    assert run_due(client) == 0
    assert ready_ids(instance(client, started["id"])) == ["answer_inquiry"]
    clock.advance(timedelta(hours=2))
    forget_workflows(client)
    assert run_due(client) == 1
    assert run_due(client) == 0
    after = instance(client, started["id"])
    assert ready_ids(after) == ["escalate_to_director"]
    assert task(client, answer["id"])["state"] == "cancelled"
    assert jobs(client, started["id"]) == []
    fired = events(client, started["id"], "timer_fired")
    assert len(fired) == 1
    assert fired[0]["actor"] == "scheduler"
    assert fired[0]["data"]["element_id"] == "deadline_passed"
    done = complete_task(client, only_ready(after, "escalate_to_director")["id"]).json()
    assert done["status"] == "completed"


def test_completing_the_task_first_removes_its_timer(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_boundary.bpmn")
    started = start_instance(client, "answer_within_deadline").json()
    assert len(jobs(client, started["id"])) == 1
    done = complete_task(client, only_ready(started, "answer_inquiry")["id"]).json()
    assert done["status"] == "completed"
    assert jobs(client, started["id"]) == []
    clock.advance(timedelta(days=31))
    assert run_due(client) == 0
    assert events(client, started["id"], "timer_fired") == []


def test_non_interrupting_boundary_timer_adds_a_task(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_non_interrupting.bpmn")
    started = start_instance(client, "warn_before_deadline").json()
    clock.advance(timedelta(days=7, seconds=1))
    assert run_due(client) == 1
    after = instance(client, started["id"])
    assert ready_ids(after) == ["prepare_answer", "warn_unit"]
    assert jobs(client, started["id"]) == []
    forget_workflows(client)
    prepared = complete_task(client, only_ready(after, "prepare_answer")["id"]).json()
    assert prepared["status"] == "running"
    assert ready_ids(prepared) == ["warn_unit"]
    done = complete_task(client, only_ready(prepared, "warn_unit")["id"]).json()
    assert done["status"] == "completed"


def test_cycle_timer_fires_each_repetition_once(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_reminder.bpmn")
    started = start_instance(client, "remind_until_done").json()
    for repetition in range(1, 4):
        (job,) = jobs(client, started["id"])
        assert _at(job["due_at"]) == frozen_clock + timedelta(hours=24 * repetition)
        clock.advance(timedelta(hours=23))
        assert run_due(client) == 0
        clock.advance(timedelta(hours=1, seconds=1))
        forget_workflows(client)
        assert run_due(client) == 1
        assert run_due(client) == 0
        reminders = [
            e
            for e in events(client, started["id"], "element_completed")
            if e["element_id"] == "send_reminder"
        ]
        assert len(reminders) == repetition
        clock.advance(timedelta(seconds=-1))
    assert jobs(client, started["id"]) == []
    clock.advance(timedelta(days=5))
    assert run_due(client) == 0
    current = instance(client, started["id"])
    sent = [
        e
        for e in events(client, started["id"], "element_completed")
        if e["element_id"] == "send_reminder"
    ]
    assert len(sent) == 3
    assert ready_ids(current) == ["write_reply"]
    done = complete_task(client, only_ready(current, "write_reply")["id"]).json()
    assert done["status"] == "completed"


def test_completing_the_task_stops_the_cycle(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_reminder.bpmn")
    started = start_instance(client, "remind_until_done").json()
    clock.advance(timedelta(hours=25))
    assert run_due(client) == 1
    current = instance(client, started["id"])
    done = complete_task(client, only_ready(current, "write_reply")["id"]).json()
    assert done["status"] == "completed"
    assert jobs(client, started["id"]) == []
    clock.advance(timedelta(days=3))
    assert run_due(client) == 0


def test_intermediate_timer_waits_and_can_be_executed_by_hand(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    started = start_instance(client, "wait_cooling_off").json()
    assert started["ready_tasks"] == []
    assert started["status"] == "running"
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == frozen_clock + timedelta(hours=2)
    assert run_due(client) == 0
    forget_workflows(client)
    fired = execute_job(client, job["id"])
    assert fired.status_code == 200, fired.text
    assert ready_ids(fired.json()) == ["confirm_decision"]
    assert execute_job(client, job["id"]).status_code == 404
    clock.advance(timedelta(hours=3))
    assert run_due(client) == 0
    assert len(events(client, started["id"], "timer_fired")) == 1


def test_intermediate_timer_fires_on_the_scheduler(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    first = start_instance(client, "wait_cooling_off").json()
    clock.advance(timedelta(hours=1))
    second = start_instance(client, "wait_cooling_off").json()
    clock.advance(timedelta(hours=1, seconds=1))
    assert run_due(client) == 1
    assert ready_ids(instance(client, first["id"])) == ["confirm_decision"]
    assert instance(client, second["id"])["ready_tasks"] == []
    clock.advance(timedelta(hours=1))
    assert run_due(client) == 1
    assert ready_ids(instance(client, second["id"])) == ["confirm_decision"]


def test_timer_date_comes_from_a_process_variable(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    due = "2026-03-10T17:00:00+08:00"
    started = start_instance(client, "wait_until_due", variables={"due_date": due}).json()
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at(due)
    clock.advance(_at(due) - frozen_clock - timedelta(seconds=1))
    assert run_due(client) == 0
    clock.advance(timedelta(seconds=2))
    assert run_due(client) == 1
    assert ready_ids(instance(client, started["id"])) == ["check_result"]


def test_timer_date_in_the_past_fires_at_once(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    started = start_instance(
        client, "wait_until_due", variables={"due_date": "2026-01-01T00:00:00+08:00"}
    ).json()
    assert ready_ids(started) == ["check_result"]
    assert jobs(client, started["id"]) == []


def test_missing_timer_date_is_a_process_error(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    response = start_instance(client, "wait_until_due")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "process_error"
    assert body["errors"][0]["element_id"] == "due_date_reached"
    assert "due_date" in body["detail"]
    failed = instance(client, body["instance_id"])
    assert failed["status"] == "error"
    assert failed["incidents"][0]["element_id"] == "due_date_reached"


def test_late_scheduler_fires_a_cycle_once_and_keeps_its_schedule(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_reminder.bpmn")
    started = start_instance(client, "remind_until_done").json()
    clock.advance(timedelta(days=5, hours=1))
    assert run_due(client) == 1
    assert run_due(client) == 0

    def reminders() -> int:
        completed = events(client, started["id"], "element_completed")
        return len([e for e in completed if e["element_id"] == "send_reminder"])

    assert reminders() == 1
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == frozen_clock + timedelta(days=6)
    assert job["locked_by"] is None
    clock.advance(timedelta(hours=23))
    assert run_due(client) == 1
    assert reminders() == 2


def test_failing_step_after_a_timer_fails_the_job_with_an_incident(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_then_script.bpmn")
    started = start_instance(client, "average_after_delay", variables={"total": 9, "count": 0})
    (job,) = jobs(client, started.json()["id"])
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 1
    failed = instance(client, started.json()["id"])
    assert failed["status"] == "error"
    (incident,) = failed["incidents"]
    assert (incident["element_id"], incident["job_id"]) == ("compute_average", job["id"])
    assert "ZeroDivisionError" in incident["message"]
    (failed_job,) = jobs(client, started.json()["id"])
    assert failed_job["status"] == "failed"
    assert "ZeroDivisionError" in failed_job["last_error"]
    assert run_due(client) == 0
    again = execute_job(client, job["id"])
    assert again.status_code == 409
    healthy = start_instance(client, "average_after_delay", variables={"total": 9, "count": 3})
    clock.advance(timedelta(days=1, seconds=1))
    assert run_due(client) == 1
    review = only_ready(instance(client, healthy.json()["id"]), "review_average")
    assert task(client, review["id"])["input"]["average"] == 3.0


def test_interrupting_timer_on_a_subprocess_cancels_its_open_task(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "subprocess_deadline.bpmn")
    started = start_instance(client, "prepare_within_deadline").json()
    collect = only_ready(started, "collect_documents")
    (job,) = jobs(client, started["id"])
    assert job["element_id"] == "preparation_overdue"
    clock.advance(timedelta(days=10, seconds=1))
    forget_workflows(client)
    assert run_due(client) == 1
    after = instance(client, started["id"])
    assert ready_ids(after) == ["report_delay"]
    assert task(client, collect["id"])["state"] == "cancelled"
    assert complete_task(client, collect["id"]).status_code == 409
    done = complete_task(client, only_ready(after, "report_delay")["id"]).json()
    assert done["status"] == "completed"


def test_timer_inside_a_called_process_fires(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "called_with_timer.bpmn")
    deploy_file(client, "calling_with_timer.bpmn")
    started = start_instance(client, "ask_and_wait").json()
    (job,) = jobs(client, started["id"])
    assert (job["element_id"], _at(job["due_at"])) == (
        "reply_time",
        frozen_clock + timedelta(hours=1),
    )
    clock.advance(timedelta(hours=1, seconds=1))
    forget_workflows(client)
    assert run_due(client) == 1
    after = instance(client, started["id"])
    read = only_ready(after, "read_reply")
    done = complete_task(client, read["id"]).json()
    close = only_ready(done, "close_request")
    assert complete_task(client, close["id"]).json()["status"] == "completed"


def test_naive_timer_dates_are_read_in_china_time(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_due_date.bpmn")
    started = start_instance(
        client, "wait_until_due", variables={"due_date": "2026-03-10T17:00:00"}
    ).json()
    (job,) = jobs(client, started["id"])
    assert _at(job["due_at"]) == _at("2026-03-10T09:00:00Z")


def test_script_dates_follow_the_service_clock(client: TestClient, frozen_clock: datetime) -> None:
    deploy_file(client, "deadline_script.bpmn")
    clock.advance(timedelta(hours=20))  # 2026-03-02 21:00 UTC is 3 March in China
    started = start_instance(client, "set_deadline").json()
    after = complete_task(
        client, only_ready(started, "enter_assigned_date")["id"], {"assigned_on": "2026-03-02"}
    ).json()
    check = task(client, only_ready(after, "check_deadline")["id"])
    assert check["input"]["recorded_on"] == "2026-03-03"


def test_two_schedulers_fire_each_due_timer_once(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    started = [start_instance(client, "wait_cooling_off").json() for _ in range(6)]
    clock.advance(timedelta(hours=2, seconds=1))
    app = client.app
    schedulers = [Scheduler(app.state.engine, app.state.settings) for _ in range(2)]  # type: ignore[attr-defined]
    barrier = threading.Barrier(2)

    def round_of(scheduler: Scheduler) -> int:
        barrier.wait()
        return scheduler.run_due()

    with ThreadPoolExecutor(max_workers=2) as pool:
        fired = sum(pool.map(round_of, schedulers))
    assert fired == 6
    for item in started:
        assert ready_ids(instance(client, item["id"])) == ["confirm_decision"]
        assert len(events(client, item["id"], "timer_fired")) == 1
    assert run_due(client) == 0


def test_jobs_list_filters_by_due_time_and_status(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_intermediate.bpmn")
    deploy_file(client, "timer_boundary.bpmn")
    soon = start_instance(client, "wait_cooling_off").json()
    later = start_instance(client, "answer_within_deadline").json()
    listed = client.get(f"{API}/jobs").json()
    assert [j["instance_id"] for j in listed["items"]] == [soon["id"], later["id"]]
    cutoff = (frozen_clock + timedelta(days=1)).isoformat()
    due_soon = client.get(f"{API}/jobs", params={"due_before": cutoff}).json()
    assert [j["instance_id"] for j in due_soon["items"]] == [soon["id"]]
    assert client.get(f"{API}/jobs", params={"status": "failed"}).json()["total"] == 0
    unknown = execute_job(client, "00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404


def _statements(client: TestClient, request: Callable[[], Response]) -> tuple[Response, list[str]]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = client.app.state.db.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", before)
    try:
        return request(), seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _reads_jobs(statements: list[str]) -> bool:
    return any(s.lstrip().startswith("SELECT") and "FROM jobs" in s for s in statements)


def test_a_steps_answer_lists_its_waiting_timers_as_a_read_does(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "timer_beside_a_parallel_task.bpmn")
    # The start sets the only timer: its answer lists the job it wrote, without reading it.
    response, seen = _statements(client, lambda: start_instance(client, "answer_and_collect"))
    started = response.json()
    assert not _reads_jobs(seen)
    (job,) = jobs(client, started["id"])
    assert started["waiting_timers"] == instance(client, started["id"])["waiting_timers"]
    assert started["waiting_timers"][0]["id"] == job["id"]
    assert _at(job["due_at"]) == frozen_clock + timedelta(days=30)

    # The timer waits on across this step (its attempts, a lease): the answer reads it back.
    collect = only_ready(started, "collect_facts")["id"]
    response, seen = _statements(client, lambda: complete_task(client, collect))
    collected = response.json()
    assert _reads_jobs(seen)
    assert collected["waiting_timers"] == instance(client, started["id"])["waiting_timers"]
    assert [t["id"] for t in collected["waiting_timers"]] == [job["id"]]

    # The step ends the timer's task: no timer waits, and nothing is read.
    answer = only_ready(collected, "answer_inquiry")["id"]
    response, seen = _statements(client, lambda: complete_task(client, answer))
    done = response.json()
    assert not _reads_jobs(seen)
    assert done["status"] == "completed" and done["waiting_timers"] == []
    assert jobs(client, started["id"]) == []
