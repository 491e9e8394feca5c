"""Suspension and activation as events in the feed: each fits its schema (events_helpers.page
validates every event read), says why, and reaches the units it is about."""

from engine.engine_helpers import deploy_file, start_instance
from events_helpers import API, cursor_now, events, of

WHY = {"reason": "等待上级批复"}


def test_an_instance_suspended_and_activated(client):
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    cursor = cursor_now(client)
    path = f"{API}/process-instances/{started['id']}"
    assert client.post(f"{path}/suspend", json=WHY).status_code == 200
    assert client.post(f"{path}/activate", json=WHY).status_code == 200
    found = events(client, "admin", after=cursor)
    (suspended,) = of(found, "instance.suspended")
    assert (suspended["instance_id"], suspended["status"]) == (started["id"], "suspended")
    assert (suspended["reason"], suspended["actor"]) == (WHY["reason"], "tester")
    (activated,) = of(found, "instance.activated")
    assert activated["status"] == "running"
    # The owner's office reads them; a sibling city's does not.
    assert of(events(client, "province_office", after=cursor), "instance.suspended")
    assert events(client, "city_office", after=cursor) == []


def test_a_definition_suspended_with_its_instances(client):
    definition = deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    cursor = cursor_now(client)
    body = {**WHY, "include_instances": True}
    path = f"{API}/process-definitions/{definition['id']}"
    assert client.post(f"{path}/suspend", json=body).status_code == 200
    assert client.post(f"{path}/activate", json=WHY).status_code == 200
    found = events(client, "admin", after=cursor)
    (suspended,) = of(found, "definition.suspended")
    assert suspended == {
        "definition_id": definition["id"],
        "process_key": "five_steps",
        "version": 1,
        "reason": WHY["reason"],
        "instances": 1,
        "actor": "tester",
        "unit": "320000-DCS",
    }
    (instance,) = of(found, "instance.suspended")
    assert (instance["instance_id"], instance["definition_id"]) == (
        started["id"],
        definition["id"],
    )
    (activated,) = of(found, "definition.activated")
    assert activated["instances"] == 0  # its instance stays suspended: not asked for
    assert of(found, "instance.activated") == []
