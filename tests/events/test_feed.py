"""GET /api/v1/events: ordered, resumable, filtered by type, scoped by units, long-polled.

Issue 8: a feed for systems that cannot receive calls — `after=<cursor>`, `type=`, `limit=`,
optional long-poll `wait=`; scoped by the caller's units like every list.
"""

import threading
import time

from conftest import login
from engine.engine_helpers import (
    complete_task,
    deploy_file,
    execute_job,
    jobs,
    only_ready,
    start_instance,
)
from events_helpers import API, caught_up, cursor_now, events, of, page, types

CITY_OFFICE = {"sub": "city", "unit": "320100-DCS", "roles": ["supervision_office"]}


def test_pages_follow_next_to_the_same_events_in_the_same_order(client):
    deploy_file(client, "five_steps.bpmn")
    for _ in range(3):
        started = start_instance(client, "five_steps").json()
        assert complete_task(client, only_ready(started, "step_1")["id"]).status_code == 200
    everything = events(client, "admin")
    assert types(everything).count("instance.started") == 3
    assert types(everything).count("task.completed") == 3
    paged, cursor = [], ""
    while True:
        body = page(client, "admin", after=cursor, limit=2)
        assert len(body["items"]) <= 2
        paged.extend(body["items"])
        if not body["items"]:
            break
        cursor = body["next"]
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert len({e["id"] for e in paged}) == len(paged)  # each event once
    # Nothing new: the same cursor comes back.
    assert page(client, "admin", after=cursor) == {"items": [], "next": cursor}


def test_type_filter_and_the_cloudevent_envelope(client):
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(client, "five_steps").json()
    task_id = only_ready(started, "step_1")["id"]
    assert complete_task(client, task_id).status_code == 200
    caught_up(client)
    only = page(client, "admin", type=["task.completed", "ducha.instance.started"])["items"]
    assert types(only) == ["instance.started", "task.completed"]
    completed = only[1]
    assert completed["specversion"] == "1.0" and completed["source"] == "/ducha"
    assert completed["subject"] == task_id and completed["time"].endswith("Z")
    assert completed["data"]["task_id"] == task_id
    assert completed["data"]["instance_id"] == started["id"]
    assert completed["data"]["element_id"] == "step_1" and completed["data"]["actor"] == "tester"
    assert completed["duchaunits"] == "320000-DCS"
    cancelled = client.post(f"{API}/process-instances/{started['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    (event,) = of(events(client, "admin", type="instance.cancelled"), "instance.cancelled")
    assert event["instance_id"] == started["id"] and event["status"] == "cancelled"


def test_a_failed_step_and_a_timer_are_events(client):
    deploy_file(client, "failing_condition.bpmn")
    started = start_instance(client, "split_budget").json()
    task_id = only_ready(started, "enter_budget")["id"]
    failed = complete_task(client, task_id, {"budget": 1000, "parts": 0})
    assert failed.status_code == 422  # the incident is committed; so are its events
    found = events(client, "admin")
    (incident,) = of(found, "incident.raised")
    assert incident["instance_id"] == started["id"] and incident["element_id"] == "share_is_large"
    assert "ZeroDivisionError" in incident["message"]
    assert of(found, "instance.failed")[0]["instance_id"] == started["id"]
    assert "task.completed" not in types(found)  # the step itself rolled back

    deploy_file(client, "timer_intermediate.bpmn")
    waiting = start_instance(client, "wait_cooling_off").json()
    (job,) = jobs(client, waiting["id"])
    assert execute_job(client, job["id"]).status_code == 200
    (fired,) = of(events(client, "admin"), "timer.fired")
    assert fired["job_id"] == job["id"] and fired["instance_id"] == waiting["id"]


def test_each_reader_sees_the_events_of_its_units(client):
    deploy_file(client, "five_steps.bpmn")
    start_instance(client, "five_steps")  # the province's office
    city = login(client, **CITY_OFFICE)
    response = client.post(
        f"{API}/process-instances", json={"process_key": "five_steps"}, headers=city
    )
    assert response.status_code == 201, response.text
    city_instance = response.json()["id"]
    caught_up(client)
    everything = events(client, "admin")
    assert city_instance in {e["data"]["instance_id"] for e in everything}
    city_events = client.get(f"{API}/events", headers=city).json()["items"]
    assert city_events and {e["data"]["instance_id"] for e in city_events} == {city_instance}
    # The province's office sees its government's subtree, the city's included.
    assert events(client, "province_office") == everything
    assert events(client, "fgw") == []  # a department sees only what names it


def test_a_bad_cursor_or_type_names_the_field(client):
    for params, field in (
        ({"after": "abc"}, "after"),
        ({"type": "matter.nonsense"}, "type"),
        ({"limit": 501}, "limit"),
        ({"wait": 31}, "wait"),
    ):
        response = client.get(f"{API}/events", params=params)
        assert response.status_code == 422, params
        assert field in response.text, params


def test_a_long_poll_returns_as_soon_as_an_event_commits(client):
    deploy_file(client, "five_steps.bpmn")
    cursor = cursor_now(client)
    # Nothing comes: the call waits `wait` seconds, then answers an empty page.
    began = time.monotonic()
    assert page(client, "admin", after=cursor, wait=1) == {"items": [], "next": cursor}
    assert time.monotonic() - began >= 1

    def later() -> None:
        time.sleep(1)
        assert start_instance(client, "five_steps").status_code == 201

    writer = threading.Thread(target=later)
    began = time.monotonic()
    writer.start()
    body = page(client, "admin", after=cursor, wait=20)
    elapsed = time.monotonic() - began
    writer.join()
    assert "instance.started" in types(body["items"])
    assert 1 <= elapsed < 5
