"""Idempotency-Key on POSTs that start or complete things, and the bounded request body
(issue: durability and scale-out)."""

from datetime import timedelta

from conftest import deploy, login, start
from fastapi.testclient import TestClient

from app.idempotency import purge
from app.kit.clock import clock
from app.main import create_app

API = "/api/v1"


def _instances(client: TestClient) -> int:
    return int(client.get(f"{API}/process-instances").json()["total"])


def test_a_retried_start_returns_the_first_answer_and_starts_nothing_more(client):
    deploy(client, "five_steps.bpmn")
    body = {"process_key": "five_steps", "business_key": "retry-1"}
    first = client.post(f"{API}/process-instances", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201
    again = client.post(f"{API}/process-instances", json=body, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _instances(client) == 1


def test_a_retried_completion_is_answered_not_refused(client):
    deploy(client, "five_steps.bpmn")
    instance = start(client, "five_steps")
    task = instance["ready_tasks"][0]["id"]
    url = f"{API}/tasks/{task}/complete"
    first = client.post(url, json={"variables": {}}, headers={"Idempotency-Key": "done-1"})
    assert first.status_code == 200
    # Without the key, completing again is refused: the task is gone.
    assert client.post(url, json={"variables": {}}).status_code == 409
    again = client.post(url, json={"variables": {}}, headers={"Idempotency-Key": "done-1"})
    assert again.status_code == 200
    assert again.json() == first.json()
    history = client.get(f"{API}/process-instances/{instance['id']}/history").json()
    completions = [h for h in history if h["event"] == "task_completed"]
    assert len(completions) == 1


def test_the_same_key_for_another_request_is_refused(client):
    deploy(client, "five_steps.bpmn")
    url = f"{API}/process-instances"
    headers = {"Idempotency-Key": "k2"}
    assert client.post(url, json={"process_key": "five_steps"}, headers=headers).status_code == 201
    other = client.post(
        url, json={"process_key": "five_steps", "business_key": "x"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _instances(client) == 1


def test_a_refused_request_claims_nothing_and_may_be_sent_again(client):
    deploy(client, "five_steps.bpmn")
    url = f"{API}/process-instances"
    headers = {"Idempotency-Key": "k3"}
    refused = client.post(url, json={"process_key": "nope"}, headers=headers)
    assert refused.status_code == 404
    again = client.post(url, json={"process_key": "nope"}, headers=headers)
    assert again.status_code == 404
    assert "idempotent-replayed" not in again.headers


def test_keys_belong_to_their_caller(client):
    deploy(client, "five_steps.bpmn")
    body = {"process_key": "five_steps"}
    for sub in ("wang", "li"):
        headers = {
            **login(client, sub=sub, unit="320000-DCS", roles=["supervision_office"]),
            "Idempotency-Key": "same",
        }
        response = client.post(f"{API}/process-instances", json=body, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert _instances(client) == 2


def test_a_malformed_key_is_refused(client):
    response = client.post(
        f"{API}/process-instances",
        json={"process_key": "five_steps"},
        headers={"Idempotency-Key": "x" * 300},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"


def test_old_keys_are_forgotten(client, frozen_clock):
    deploy(client, "five_steps.bpmn")
    body = {"process_key": "five_steps"}
    client.post(f"{API}/process-instances", json=body, headers={"Idempotency-Key": "old"})
    clock.freeze(frozen_clock + timedelta(hours=25))
    assert purge(client.app.state.db, timedelta(hours=24)) == 1
    again = client.post(f"{API}/process-instances", json=body, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert _instances(client) == 2


def test_a_body_over_the_limit_is_refused_with_413(settings):
    small = settings.model_copy(update={"max_request_bytes": 4096})
    with TestClient(create_app(small)) as client:
        client.headers.update(
            login(client, sub="designer", unit="320000-GO", roles=["process_designer"])
        )
        files = {"file": ("big.bpmn", b"<x>" + b" " * 10_000 + b"</x>", "application/xml")}
        response = client.post(f"{API}/process-definitions", files=files)
        assert response.status_code == 413
        assert response.json()["code"] == "request_too_large"
        assert response.json()["max_bytes"] == 4096
        assert client.get(f"{API}/process-definitions").json()["total"] == 0
