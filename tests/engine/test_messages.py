"""Message start and catch events, correlated by business key over POST /messages."""

import json
import uuid

from engine_helpers import (
    API,
    deploy_file,
    events,
    forget_workflows,
    instance,
    only_ready,
    send_message,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.engine.persist.models import ProcessInstance


def test_message_reaches_only_the_instance_with_its_business_key(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    first = start_instance(client, "await_payment", business_key="A-1").json()
    second = start_instance(client, "await_payment", business_key="A-2").json()
    assert first["ready_tasks"] == [] and second["ready_tasks"] == []
    forget_workflows(client)
    response = send_message(
        client, "payment_received", correlation_key="A-2", variables={"amount": 100}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["delivered"], result["started"]) == ([second["id"]], [])
    assert result["instances"][0]["variables"]["amount"] == 100
    register = only_ready(instance(client, second["id"]), "register_payment")
    assert task(client, register["id"])["input"]["amount"] == 100
    assert instance(client, first["id"])["ready_tasks"] == []
    received = events(client, second["id"], "message_received")
    assert received[0]["data"] == {"name": "payment_received", "variables": {"amount": 100}}
    assert events(client, first["id"], "message_received") == []


def test_message_without_a_waiting_receiver_is_404(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    waiting = start_instance(client, "await_payment", business_key="A-1").json()
    unknown_key = send_message(client, "payment_received", correlation_key="B-7")
    assert unknown_key.status_code == 404
    assert unknown_key.json()["code"] == "no_receiver"
    assert send_message(client, "unknown_message", correlation_key="A-1").status_code == 404
    assert send_message(client, "payment_received", correlation_key="A-1").status_code == 200
    again = send_message(client, "payment_received", correlation_key="A-1")
    assert again.status_code == 404
    assert len(events(client, waiting["id"], "message_received")) == 1


def test_message_to_a_cancelled_instance_is_not_delivered(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    waiting = start_instance(client, "await_payment", business_key="A-1").json()
    client.post(f"{API}/process-instances/{waiting['id']}/cancel")
    assert send_message(client, "payment_received", correlation_key="A-1").status_code == 404


def test_message_start_event_creates_an_instance_with_the_business_key(
    client: TestClient,
) -> None:
    deploy_file(client, "message_start.bpmn")
    response = send_message(
        client, "case_opened", correlation_key="C-9", variables={"subject": "late report"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["delivered"] == []
    (instance_id,) = result["started"]
    started = instance(client, instance_id)
    assert (started["process_key"], started["business_key"]) == ("open_case", "C-9")
    triage = only_ready(started, "triage_case")
    assert task(client, triage["id"])["input"]["subject"] == "late report"
    second = send_message(client, "case_opened", correlation_key="C-10").json()
    assert len(second["started"]) == 1 and second["started"] != result["started"]


def test_message_variables_with_reserved_keys_are_refused(client: TestClient) -> None:
    deploy_file(client, "message_catch.bpmn")
    start_instance(client, "await_payment", business_key="A-1")
    response = send_message(
        client, "payment_received", correlation_key="A-1", variables={"__class__": 1}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "__class__"


def test_message_boundary_event_interrupts_the_task(client: TestClient) -> None:
    deploy_file(client, "message_boundary.bpmn")
    started = start_instance(client, "handle_complaint", business_key="K-1").json()
    investigate = only_ready(started, "investigate_complaint")
    other = start_instance(client, "handle_complaint", business_key="K-2").json()
    forget_workflows(client)
    response = send_message(client, "complaint_withdrawn", correlation_key="K-1")
    assert response.json()["delivered"] == [started["id"]]
    done = instance(client, started["id"])
    assert done["status"] == "completed"
    assert done["variables"]["outcome"] == "withdrawn"
    assert task(client, investigate["id"])["state"] == "cancelled"
    assert instance(client, other["id"])["status"] == "running"
    assert send_message(client, "complaint_withdrawn", correlation_key="K-1").status_code == 404


def test_message_without_a_correlation_key_reaches_only_instances_without_one(
    client: TestClient,
) -> None:
    deploy_file(client, "message_catch.bpmn")
    keyed = start_instance(client, "await_payment", business_key="A-1").json()
    unkeyed = start_instance(client, "await_payment").json()
    response = send_message(client, "payment_received")
    assert response.status_code == 200, response.text
    assert response.json()["delivered"] == [unkeyed["id"]]
    assert instance(client, keyed["id"])["ready_tasks"] == []
    assert send_message(client, "payment_received").status_code == 404


def test_a_thrown_message_nobody_catches_is_recorded_not_kept(client: TestClient) -> None:
    deployed = deploy_file(client, "message_throw.bpmn")
    # Deploy says so: a message thrown without an external topic stays in its own instance.
    (warning,) = deployed["warnings"]
    assert (warning["element_id"], warning["attribute"]) == ("tell_archive", "messageRef")
    assert "inside this instance only" in warning["message"]
    started = start_instance(client, "notify_archive", business_key="N-1").json()
    assert [t["element_id"] for t in started["ready_tasks"]] == ["file_copy"]
    (thrown,) = events(client, started["id"], "event_unhandled")
    assert thrown["data"]["name"] == "archive_notified"
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        stored = session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == uuid.UUID(started["id"]))
        )
    assert json.loads(stored or "{}")["bpmn_events"] == []
