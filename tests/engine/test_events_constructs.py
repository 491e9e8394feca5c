"""Event constructs that deployed and then hung: event-based gateways, event subprocesses
(message, timer, error and escalation starts; interrupting and not) and link events."""

import uuid
from datetime import datetime, timedelta

from engine_helpers import (
    bpmn,
    complete_task,
    deploy_file,
    events,
    execute_job,
    forget_workflows,
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
from sqlalchemy import select

from app.engine.persist.models import ProcessInstance
from app.kit.clock import clock


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- event-based gateway -------------------------------------------------------------------


def test_event_gateway_message_first_withdraws_the_timer(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_gateway_message_timer.bpmn")
    started = start_instance(client, "await_reply_or_chase", business_key="R-1").json()
    assert started["status"] == "running" and started["ready_tasks"] == []
    (job,) = jobs(client, started["id"])
    assert job["element_id"] == "deadline_passed"
    assert _at(job["due_at"]) == frozen_clock + timedelta(days=2)
    forget_workflows(client)
    sent = send_message(client, "reply_received", correlation_key="R-1", variables={"ok": 1})
    assert sent.status_code == 200, sent.text
    assert sent.json()["delivered"] == [started["id"]]
    after = instance(client, started["id"])
    read = only_ready(after, "read_reply")
    assert task(client, read["id"])["input"]["ok"] == 1
    assert jobs(client, started["id"]) == []  # the timer is withdrawn with its job
    clock.advance(timedelta(days=3))
    assert run_due(client) == 0
    again = send_message(client, "reply_received", correlation_key="R-1")
    assert again.status_code == 404
    done = complete_task(client, read["id"]).json()
    assert done["status"] == "completed"
    path = done["completed_element_ids"]
    assert {"reply_or_deadline", "reply_received", "read_reply", "end_replied"} <= set(path)
    assert "deadline_passed" not in path and "end_chased" not in path


def test_event_gateway_timer_first_withdraws_the_message(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_gateway_message_timer.bpmn")
    started = start_instance(client, "await_reply_or_chase", business_key="R-2").json()
    clock.advance(timedelta(days=1, hours=23))
    assert run_due(client) == 0
    clock.advance(timedelta(hours=2))
    forget_workflows(client)
    assert run_due(client) == 1
    after = instance(client, started["id"])
    assert ready_ids(after) == ["chase_reply"]
    assert [e["data"]["element_id"] for e in events(client, started["id"], "timer_fired")] == [
        "deadline_passed"
    ]
    late = send_message(client, "reply_received", correlation_key="R-2")
    assert late.status_code == 404 and late.json()["code"] == "no_receiver"
    done = complete_task(client, only_ready(after, "chase_reply")["id"]).json()
    assert done["status"] == "completed"
    path = done["completed_element_ids"]
    assert {"deadline_passed", "chase_reply", "end_chased"} <= set(path)
    assert "reply_received" not in path and "read_reply" not in path


def test_event_gateway_of_two_messages_takes_the_one_that_came(client: TestClient) -> None:
    deploy_file(client, "ev_gateway_messages.bpmn")
    first = start_instance(client, "await_answer", business_key="O-1").json()
    second = start_instance(client, "await_answer", business_key="O-2").json()
    assert send_message(client, "offer_declined", correlation_key="O-1").status_code == 200
    assert send_message(client, "offer_accepted", correlation_key="O-2").status_code == 200
    one, two = instance(client, first["id"]), instance(client, second["id"])
    assert one["status"] == two["status"] == "completed"
    assert "end_declined" in one["completed_element_ids"]
    assert "end_accepted" not in one["completed_element_ids"]
    assert "end_accepted" in two["completed_element_ids"]
    assert "end_declined" not in two["completed_element_ids"]
    assert send_message(client, "offer_accepted", correlation_key="O-1").status_code == 404


def test_event_gateway_of_two_timers_keeps_each_due_time(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_gateway_timers.bpmn")
    started = start_instance(client, "first_of_two_timers").json()
    dues = {j["element_id"]: _at(j["due_at"]) for j in jobs(client, started["id"])}
    assert dues == {
        "one_hour": frozen_clock + timedelta(hours=1),
        "one_day": frozen_clock + timedelta(days=1),
    }
    clock.advance(timedelta(hours=1, seconds=1))
    assert run_due(client) == 1
    done = instance(client, started["id"])
    assert done["status"] == "completed"
    assert "end_hour" in done["completed_element_ids"]
    assert "one_day" not in done["completed_element_ids"]
    assert jobs(client, started["id"]) == []


def test_event_gateway_timer_fired_through_the_jobs_api(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_gateway_timers.bpmn")
    started = start_instance(client, "first_of_two_timers").json()
    day = next(j for j in jobs(client, started["id"]) if j["element_id"] == "one_day")
    assert execute_job(client, day["id"]).status_code == 200
    done = instance(client, started["id"])
    assert done["status"] == "completed"
    assert "end_day" in done["completed_element_ids"]
    assert "end_hour" not in done["completed_element_ids"]


def test_event_gateway_leading_to_a_task_is_refused(client: TestClient) -> None:
    xml = bpmn("ev_gateway_messages.bpmn").replace(
        b'<bpmn:intermediateCatchEvent id="declined" name="Declined">\n'
        b'      <bpmn:messageEventDefinition id="declined_definition" '
        b'messageRef="message_declined"/>\n'
        b"    </bpmn:intermediateCatchEvent>",
        b'<bpmn:userTask id="declined" name="Declined"/>',
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "answer"
    assert "event-based gateway" in error["message"]


# --- event subprocesses --------------------------------------------------------------------


def test_message_event_subprocess_interrupts_its_scope(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_message.bpmn")
    started = start_instance(client, "request_with_withdrawal", business_key="W-1").json()
    prepare = only_ready(started, "prepare_answer")
    forget_workflows(client)
    sent = send_message(client, "request_withdrawn", correlation_key="W-1", variables={"why": "x"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["delivered"] == [started["id"]]
    after = instance(client, started["id"])
    handle = only_ready(after, "handle_request_withdrawn")
    assert task(client, handle["id"])["input"]["why"] == "x"
    assert task(client, prepare["id"])["state"] == "cancelled"
    assert send_message(client, "request_withdrawn", correlation_key="W-1").status_code == 404
    done = complete_task(client, handle["id"]).json()
    assert done["status"] == "completed"
    assert "request_withdrawn_end" in done["completed_element_ids"]
    assert "end_answered" not in done["completed_element_ids"]


def test_message_event_subprocess_is_withdrawn_when_its_scope_ends(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_message.bpmn")
    started = start_instance(client, "request_with_withdrawal", business_key="W-2").json()
    done = complete_task(client, only_ready(started, "prepare_answer")["id"]).json()
    assert done["status"] == "completed"
    assert "request_withdrawn_start" not in done["completed_element_ids"]
    assert send_message(client, "request_withdrawn", correlation_key="W-2").status_code == 404


def test_non_interrupting_message_event_subprocess_runs_alongside(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_message_non_interrupting.bpmn")
    started = start_instance(client, "request_with_status_queries", business_key="Q-1").json()
    for _ in range(2):
        sent = send_message(client, "status_queried", correlation_key="Q-1")
        assert sent.status_code == 200, sent.text
    forget_workflows(client)
    current = instance(client, started["id"])
    assert ready_ids(current) == [
        "handle_status_queried",
        "handle_status_queried",
        "prepare_answer",
    ]
    answered = complete_task(client, only_ready(current, "prepare_answer")["id"]).json()
    assert answered["status"] == "running"  # the scope waits for the subprocesses it started
    for record in answered["ready_tasks"]:
        last = complete_task(client, record["id"]).json()
    assert last["status"] == "completed"
    assert "end_answered" in last["completed_element_ids"]
    assert "status_queried_end" in last["completed_element_ids"]
    assert send_message(client, "status_queried", correlation_key="Q-1").status_code == 404


def test_timer_event_subprocess_interrupts_its_scope(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_subprocess_timer.bpmn")
    started = start_instance(client, "answer_or_take_over").json()
    (job,) = jobs(client, started["id"])
    assert job["element_id"] == "deadline_start"
    assert _at(job["due_at"]) == frozen_clock + timedelta(days=2)
    clock.advance(timedelta(days=2, seconds=1))
    forget_workflows(client)
    assert run_due(client) == 1
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_deadline"]
    done = complete_task(client, only_ready(after, "handle_deadline")["id"]).json()
    assert done["status"] == "completed"
    assert "prepare_answer" not in done["completed_element_ids"]


def test_non_interrupting_timer_event_subprocess_runs_alongside(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_subprocess_timer_non_interrupting.bpmn")
    started = start_instance(client, "answer_with_reminder").json()
    (job,) = jobs(client, started["id"])
    assert execute_job(client, job["id"]).status_code == 200
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_reminder", "prepare_answer"]
    assert jobs(client, started["id"]) == []  # a timer start fires once per scope
    answered = complete_task(client, only_ready(after, "prepare_answer")["id"]).json()
    assert answered["status"] == "running"
    done = complete_task(client, only_ready(answered, "handle_reminder")["id"]).json()
    assert done["status"] == "completed"
    assert {"end_answered", "reminder_end"} <= set(done["completed_element_ids"])


def test_timer_event_subprocess_job_goes_when_the_scope_ends(
    client: TestClient, frozen_clock: datetime
) -> None:
    deploy_file(client, "ev_subprocess_timer_non_interrupting.bpmn")
    started = start_instance(client, "answer_with_reminder").json()
    assert len(jobs(client, started["id"])) == 1
    done = complete_task(client, only_ready(started, "prepare_answer")["id"]).json()
    assert done["status"] == "completed"
    assert jobs(client, started["id"]) == []
    clock.advance(timedelta(days=3))
    assert run_due(client) == 0


def test_error_event_subprocess_catches_an_error_end_event(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_error.bpmn")
    started = start_instance(client, "inspect_with_fallback").json()
    after = complete_task(client, only_ready(started, "inspect")["id"], {"failed": True}).json()
    assert after["status"] == "running"
    assert ready_ids(after) == ["handle_failure"]
    done = complete_task(client, only_ready(after, "handle_failure")["id"]).json()
    assert done["status"] == "completed"
    assert {"end_failed", "failure_start", "failure_end"} <= set(done["completed_element_ids"])


def test_error_event_subprocess_not_triggered_lets_the_process_end(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_error.bpmn")
    started = start_instance(client, "inspect_with_fallback").json()
    done = complete_task(client, only_ready(started, "inspect")["id"], {"failed": False}).json()
    assert done["status"] == "completed"
    assert "end_passed" in done["completed_element_ids"]
    assert "failure_start" not in done["completed_element_ids"]


def test_escalation_event_subprocess_runs_alongside(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_escalation.bpmn")
    started = start_instance(client, "work_with_escalation").json()
    after = complete_task(client, only_ready(started, "start_work")["id"]).json()
    assert ready_ids(after) == ["finish_work", "notify_director"]
    finished = complete_task(client, only_ready(after, "finish_work")["id"]).json()
    assert finished["status"] == "running"
    done = complete_task(client, only_ready(finished, "notify_director")["id"]).json()
    assert done["status"] == "completed"
    assert {"report_late", "late_start", "late_end", "end"} <= set(done["completed_element_ids"])


def test_event_subprocess_that_cannot_be_honoured_is_refused(client: TestClient) -> None:
    # A timer cycle start now runs (tests/engine/test_more_constructs.py).
    plain = bpmn("ev_subprocess_message.bpmn").replace(
        b'<bpmn:messageEventDefinition id="request_withdrawn_definition" '
        b'messageRef="message_request_withdrawn"/>',
        b"",
    )
    response = post_definition(client, plain)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "request_withdrawn_start"
    assert "needs one trigger" in error["message"]


# --- link events ---------------------------------------------------------------------------


def test_throw_link_continues_at_its_catch_link(client: TestClient) -> None:
    deploy_file(client, "ev_link.bpmn")
    started = start_instance(client, "jump_by_link").json()
    after = complete_task(client, only_ready(started, "draft")["id"]).json()
    assert ready_ids(after) == ["review"]
    assert {"to_page_two", "from_page_one"} <= set(after["completed_element_ids"])
    done = complete_task(client, only_ready(after, "review")["id"]).json()
    assert done["status"] == "completed"


def test_throw_link_without_its_catch_is_refused(client: TestClient) -> None:
    xml = bpmn("ev_link.bpmn").replace(
        b'id="from_page_one_link" name="page_two"', b'id="from_page_one_link" name="page_three"'
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "to_page_two"
    assert "link 'page_two'" in error["message"]


def test_event_subprocess_of_an_embedded_subprocess_lives_with_its_scope(
    client: TestClient,
) -> None:
    deploy_file(client, "ev_subprocess_nested.bpmn")
    recalled = start_instance(client, "review_with_recall", business_key="N-1").json()
    reviewed = start_instance(client, "review_with_recall", business_key="N-2").json()
    assert send_message(client, "review_recalled", correlation_key="N-1").status_code == 200
    after = instance(client, recalled["id"])
    assert ready_ids(after) == ["handle_recall"]
    after = complete_task(client, only_ready(after, "handle_recall")["id"]).json()
    done = complete_task(client, only_ready(after, "publish")["id"]).json()
    assert done["status"] == "completed"
    assert "check" not in done["completed_element_ids"]
    checked = complete_task(client, only_ready(reviewed, "check")["id"]).json()
    assert ready_ids(checked) == ["publish"]
    assert send_message(client, "review_recalled", correlation_key="N-2").status_code == 404


def _state_size(client: TestClient, instance_id: str) -> int:
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        stored = session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == uuid.UUID(instance_id))
        )
    return len(stored or "")


def test_a_loop_beside_an_event_subprocess_keeps_its_state_small(client: TestClient) -> None:
    deploy_file(client, "ev_subprocess_loop.bpmn")
    current = start_instance(client, "review_loop_with_queries", business_key="L-1").json()
    sizes = {}
    for done in range(1, 61):
        if done == 5:
            assert (
                send_message(client, "progress_queried", correlation_key="L-1").status_code == 200
            )
        if done == 10:
            query = only_ready(instance(client, current["id"]), "answer_query")
            assert complete_task(client, query["id"], {"answer": "soon"}).status_code == 200
        if done % 25 == 0:
            forget_workflows(client)
        review = only_ready(instance(client, current["id"]), "review_draft")
        current = complete_task(client, review["id"], {"approved": False}).json()
        sizes[done] = _state_size(client, current["id"])
    assert sizes[60] <= sizes[20] * 1.1, sizes  # pruned, also with the subprocess beside it
    review = only_ready(current, "review_draft")
    done = complete_task(client, review["id"], {"approved": True}).json()
    assert done["status"] == "completed"
    assert done["variables"]["answer"] == "soon"
    assert "query_end" in done["completed_element_ids"]
    assert send_message(client, "progress_queried", correlation_key="L-1").status_code == 404


def test_parallel_event_based_gateway_is_refused(client: TestClient) -> None:
    xml = bpmn("ev_gateway_messages.bpmn").replace(
        b'<bpmn:eventBasedGateway id="answer"',
        b'<bpmn:eventBasedGateway id="answer" eventGatewayType="Parallel"',
    )
    response = post_definition(client, xml)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "answer"
    assert "Parallel" in error["message"]
