"""Signals over POST /signals and thrown between instances; message correlation by business
key, instance, variables and `all`; conditional events; terminate ends, standard loops,
send/receive and manual tasks (issue 15). Each drives a small `sg_` diagram over REST."""

from engine_helpers import (
    API,
    bpmn,
    complete_task,
    deploy_file,
    events,
    forget_workflows,
    instance,
    only_ready,
    post_definition,
    ready_ids,
    send_message,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from httpx import Response


def send_signal(client: TestClient, name: str, **body: object) -> Response:
    """POST a signal; returns the raw response."""
    return client.post(f"{API}/signals", json={"name": name, **body})


# --- signals -------------------------------------------------------------------------------


def test_signal_reaches_every_waiting_catch_event(client: TestClient) -> None:
    deploy_file(client, "sg_intermediate.bpmn")
    first = start_instance(client, "wait_for_recall", business_key="S-1").json()
    second = start_instance(client, "wait_for_recall").json()
    forget_workflows(client)
    response = send_signal(client, "recall", variables={"reason": "typo"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert sorted(result["delivered"]) == sorted([first["id"], second["id"]])
    assert result["started"] == []
    assert {i["id"] for i in result["instances"]} == {first["id"], second["id"]}
    for started in (first, second):
        withdraw = only_ready(instance(client, started["id"]), "withdraw_report")
        assert task(client, withdraw["id"])["input"]["reason"] == "typo"
        assert events(client, started["id"], "signal_received")[0]["data"]["name"] == "recall"
        done = complete_task(client, withdraw["id"]).json()
        assert done["status"] == "completed"
        assert {"recall_heard", "withdraw_report", "end"} <= set(done["completed_element_ids"])


def test_signal_nobody_waits_for_answers_empty_lists(client: TestClient) -> None:
    deploy_file(client, "sg_intermediate.bpmn")
    response = send_signal(client, "nobody_listens")
    assert response.status_code == 200, response.text
    assert response.json() == {"delivered": [], "started": [], "instances": []}


def test_signal_boundary_events_interrupt_or_run_alongside(client: TestClient) -> None:
    deploy_file(client, "sg_boundary.bpmn")
    started = start_instance(client, "draft_with_recall").json()
    draft = only_ready(started, "write_draft")
    assert send_signal(client, "remind").json()["delivered"] == [started["id"]]
    after = instance(client, started["id"])
    assert ready_ids(after) == ["read_reminder", "write_draft"]
    complete_task(client, only_ready(after, "read_reminder")["id"])
    forget_workflows(client)
    assert send_signal(client, "recall").json()["delivered"] == [started["id"]]
    done = instance(client, started["id"])
    assert done["status"] == "completed" and done["variables"]["outcome"] == "recalled"
    assert task(client, draft["id"])["state"] == "cancelled"
    assert {"reminded", "read_reminder", "recalled", "close_recalled", "end_recalled"} <= set(
        done["completed_element_ids"]
    )
    assert send_signal(client, "recall").json()["delivered"] == []


def test_signal_starts_event_subprocesses(client: TestClient) -> None:
    deploy_file(client, "sg_event_subprocess.bpmn")
    started = start_instance(client, "case_with_alarm").json()
    assert send_signal(client, "alarm").json()["delivered"] == [started["id"]]
    assert send_signal(client, "alarm").json()["delivered"] == [started["id"]]
    after = instance(client, started["id"])
    assert ready_ids(after) == ["handle_alarm", "handle_alarm", "work_case"]
    forget_workflows(client)
    assert send_signal(client, "halt").json()["delivered"] == [started["id"]]
    done = instance(client, started["id"])
    assert done["status"] == "completed" and done["variables"]["halted"] is True
    assert {"alarm_start", "halt_start", "note_halt", "halt_end"} <= set(
        done["completed_element_ids"]
    )
    assert "end" not in done["completed_element_ids"]


def test_signal_start_event_creates_instances(client: TestClient) -> None:
    deploy_file(client, "sg_start.bpmn")
    response = send_signal(client, "recall", variables={"batch": 7})
    assert response.status_code == 200, response.text
    (new_id,) = response.json()["started"]
    new = instance(client, new_id)
    triage = only_ready(new, "triage_recall")
    assert task(client, triage["id"])["input"]["batch"] == 7
    done = complete_task(client, triage["id"]).json()
    assert done["status"] == "completed"
    assert {"recall_start", "triage_recall", "end"} <= set(done["completed_element_ids"])


def test_thrown_signals_reach_other_instances_and_starts(client: TestClient) -> None:
    deploy_file(client, "sg_intermediate.bpmn")
    deploy_file(client, "sg_event_subprocess.bpmn")
    deploy_file(client, "sg_start.bpmn")
    deploy_file(client, "sg_throw.bpmn")
    waiting = start_instance(client, "wait_for_recall").json()
    alarmed = start_instance(client, "case_with_alarm").json()
    thrower = start_instance(client, "announce_recall").json()
    forget_workflows(client)
    done = complete_task(client, only_ready(thrower, "decide_recall")["id"]).json()
    assert done["status"] == "completed"
    assert {"throw_recall", "end_alarm"} <= set(done["completed_element_ids"])
    assert ready_ids(instance(client, waiting["id"])) == ["withdraw_report"]
    assert ready_ids(instance(client, alarmed["id"])) == ["handle_alarm", "work_case"]
    listed = client.get(f"{API}/process-instances", params={"process_key": "triage_on_recall"})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 1


def test_signals_answering_signals_without_end_are_refused(client: TestClient) -> None:
    deploy_file(client, "sg_signal_loop.bpmn")
    response = send_signal(client, "ping")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "signal_loop"
    listed = client.get(f"{API}/process-instances", params={"process_key": "ping_again"})
    assert listed.json()["items"] == []  # nothing saved


# --- message correlation -------------------------------------------------------------------


def test_message_by_instance_id(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    first = start_instance(client, "await_payment", business_key="M-1").json()
    second = start_instance(client, "await_payment", business_key="M-1").json()
    ambiguous = send_message(client, "payment_received", correlation_key="M-1")
    assert ambiguous.status_code == 409, ambiguous.text
    body = ambiguous.json()
    assert body["code"] == "ambiguous_correlation"
    assert {e["message"] for e in body["errors"]} == {first["id"], second["id"]}
    response = send_message(
        client, "payment_received", process_instance_id=second["id"], variables={"paid": 5}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["delivered"] == [second["id"]] and result["started"] == []
    (reached,) = result["instances"]
    assert reached["id"] == second["id"] and reached["status"] == "running"
    assert ready_ids(instance(client, second["id"])) == ["register_payment"]
    assert instance(client, first["id"])["ready_tasks"] == []


def test_message_by_variables_and_to_all(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    north = start_instance(client, "await_payment", variables={"region": "north"}).json()
    south = start_instance(client, "await_payment", variables={"region": "south"}).json()
    keyed = start_instance(client, "await_payment", business_key="K", variables={"region": "x"})
    response = send_message(
        client, "payment_received", correlation_variables={"region": "south"}, variables={"n": 1}
    )
    assert response.status_code == 200, response.text
    (reached,) = response.json()["instances"]
    assert reached["id"] == south["id"] and reached["variables"]["region"] == "south"
    missing = send_message(client, "payment_received", correlation_variables={"region": "east"})
    assert missing.status_code == 404 and missing.json()["code"] == "no_receiver"
    everyone = send_message(client, "payment_received", all=True)
    assert everyone.status_code == 200, everyone.text
    assert sorted(everyone.json()["delivered"]) == sorted([north["id"], keyed.json()["id"]])
    for started in (north, south):
        register = only_ready(instance(client, started["id"]), "register_payment")
        done = complete_task(client, register["id"]).json()
        assert {"payment_received", "register_payment", "end"} <= set(done["completed_element_ids"])


# --- conditional events --------------------------------------------------------------------


def test_conditional_catch_fires_when_the_data_makes_it_true(client: TestClient) -> None:
    deploy_file(client, "sg_conditional_catch.bpmn")
    started = start_instance(client, "watch_amount").json()
    assert ready_ids(started) == ["enter_amount"]
    forget_workflows(client)
    done = complete_task(client, only_ready(started, "enter_amount")["id"], {"amount": 500})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["variables"]["flagged"] is True
    assert {"amount_large", "flag_large", "join", "end"} <= set(body["completed_element_ids"])


def test_conditional_catch_waits_while_false(client: TestClient) -> None:
    deploy_file(client, "sg_conditional_catch.bpmn")
    started = start_instance(client, "watch_amount", variables={"amount": 5}).json()
    body = complete_task(client, only_ready(started, "enter_amount")["id"], {"amount": 50}).json()
    assert body["status"] == "running" and "amount_large" not in body["completed_element_ids"]


def test_conditional_boundary_events(client: TestClient) -> None:
    deploy_file(client, "sg_conditional_boundary.bpmn")
    started = start_instance(client, "review_until_withdrawn").json()
    review = only_ready(started, "review_case")
    desk = only_ready(started, "front_desk")
    after = complete_task(client, desk["id"], {"priority": "high"}).json()
    assert ready_ids(after) == ["review_case", "tell_lead"]
    complete_task(client, only_ready(after, "tell_lead")["id"], {"withdrawn": True})
    done = instance(client, started["id"])
    assert done["status"] == "completed", done
    assert task(client, review["id"])["state"] == "cancelled"
    assert {"urgent", "tell_lead", "withdrawn", "end_withdrawn"} <= set(
        done["completed_element_ids"]
    )
    assert "end" not in done["completed_element_ids"]


def test_conditional_event_subprocess(client: TestClient) -> None:
    deploy_file(client, "sg_conditional_subprocess.bpmn")
    started = start_instance(client, "steps_with_escalation").json()
    after = complete_task(client, only_ready(started, "first_step")["id"], {"escalate": True})
    assert ready_ids(after.json()) == ["handle_escalation", "second_step"]
    body = after.json()
    complete_task(client, only_ready(body, "handle_escalation")["id"])
    done = complete_task(client, only_ready(body, "second_step")["id"]).json()
    assert done["status"] == "completed"
    assert {"escalation_start", "handle_escalation", "second_step", "end"} <= set(
        done["completed_element_ids"]
    )


def test_refused_conditions(client: TestClient) -> None:
    # A process's conditional start now deploys (POST /conditions: test_more_constructs.py).
    for name, element in (("sg_conditional_refused.bpmn", "sneaky"),):
        response = post_definition(client, bpmn(name), name=name)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["element_id"] == element


# --- terminate, standard loops, send/receive and manual tasks ------------------------------


def test_terminate_end_event_ends_every_branch(client: TestClient) -> None:
    deploy_file(client, "sg_terminate.bpmn")
    started = start_instance(client, "stop_everything").json()
    slow = only_ready(started, "slow_work")
    done = complete_task(client, only_ready(started, "decide_stop")["id"]).json()
    assert done["status"] == "completed" and done["ready_tasks"] == []
    assert task(client, slow["id"])["state"] == "cancelled"
    assert {"decide_stop", "stop_all"} <= set(done["completed_element_ids"])
    assert "end" not in done["completed_element_ids"]


def test_standard_loops_with_condition_and_maximum(client: TestClient) -> None:
    deploy_file(client, "sg_standard_loop.bpmn")
    started = start_instance(client, "loop_rounds", variables={"rounds": 0}).json()
    first = only_ready(started, "review_round")
    assert task(client, first["id"])["input"]["rounds"] == 3
    second = only_ready(complete_task(client, first["id"]).json(), "review_round")
    done = complete_task(client, second["id"]).json()
    assert done["status"] == "completed" and done["variables"]["rounds"] == 3
    assert {"add_round", "review_round", "end"} <= set(done["completed_element_ids"])


def test_send_receive_and_manual_tasks(client: TestClient) -> None:
    deploy_file(client, "sg_send_receive_manual.bpmn")
    started = start_instance(client, "ask_and_file", business_key="Q-1").json()
    assert started["status"] == "running" and started["ready_tasks"] == []
    (sent,) = events(client, started["id"], "event_unhandled")
    assert sent["data"]["name"] == "request_sent"
    answer = send_message(client, "answer_received", correlation_key="Q-1", variables={"a": 1})
    assert answer.status_code == 200, answer.text
    manual = only_ready(instance(client, started["id"]), "file_answer")
    assert task(client, manual["id"])["input"]["a"] == 1
    done = complete_task(client, manual["id"]).json()
    assert done["status"] == "completed"
    assert {"send_request", "receive_answer", "file_answer", "end"} <= set(
        done["completed_element_ids"]
    )


# --- compensation --------------------------------------------------------------------------


def test_compensation_throw_undoes_completed_activities_last_first(client: TestClient) -> None:
    deploy_file(client, "sg_compensation.bpmn")
    started = start_instance(client, "book_and_undo", variables={"undone": []}).json()
    confirm = only_ready(started, "confirm_trip")
    forget_workflows(client)
    done = complete_task(client, confirm["id"], {"cancel": "all"}).json()
    assert done["status"] == "completed", done
    assert done["variables"]["undone"] == ["flight", "room"]
    assert (done["variables"]["room"], done["variables"]["flight"]) == ("cancelled", "cancelled")
    path = [e["element_id"] for e in events(client, started["id"], "element_completed")]
    assert path.index("cancel_flight") < path.index("cancel_room") < path.index("undo_all")
    assert path.index("undo_all") < path.index("end")


def test_compensation_end_event_with_an_activity(client: TestClient) -> None:
    deploy_file(client, "sg_compensation.bpmn")
    started = start_instance(client, "book_and_undo", variables={"undone": []}).json()
    done = complete_task(client, only_ready(started, "confirm_trip")["id"], {"cancel": "x"})
    body = done.json()
    assert body["status"] == "completed", body
    assert body["variables"]["undone"] == ["flight"] and body["variables"]["room"] == "booked"
    assert {"cancel_flight", "undo_flight_end"} <= set(body["completed_element_ids"])
    assert "cancel_room" not in body["completed_element_ids"]


def test_compensation_handler_that_waits_is_refused(client: TestClient) -> None:
    response = post_definition(client, bpmn("sg_compensation_refused.bpmn"))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "cancel_room" and "compensation handler" in error["message"]
