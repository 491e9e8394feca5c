"""Every endpoint with every role and with a user of a sibling unit: the expected status, and no
row of another scope in any list (issue: identity, roles and unit-scoped access)."""

from pathlib import Path

import pytest
from conftest import login
from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
API = "/api/v1"

# Who is who: each role at a unit where it would work, plus outsiders.
USERS = {
    "admin": ("320000-GO", ["admin"]),
    "designer": ("320000-GO", ["process_designer"]),
    "office": ("320000-DCS", ["supervision_office"]),
    "office_head": ("320000-DCS", ["office_head"]),
    "leader": ("320000-GOV", ["leader"]),
    "division": ("320000-GO-ZH1", ["division"]),
    "handler": ("320000-FGW", ["unit_handler"]),
    "unit_head": ("320000-FGW", ["unit_head"]),
    "evaluator": ("320000-GO", ["evaluator"]),
    "deputy": ("320000-GOV", ["deputy"]),
    "personnel": ("320000-GOV", ["personnel"]),
    "auditor": ("320000-GO", ["auditor"]),
    "sibling": ("320000-ZJT", ["unit_handler"]),  # a sibling department of the task's unit
    "city_office": ("320100-DCS", ["supervision_office"]),  # below the province: never above
}
# Roles that see their government's whole subtree, and the units involved in instance A.
SUBTREE = {"admin", "office", "office_head", "leader", "auditor"}
SEES_A = SUBTREE | {"handler", "unit_head"}  # A: owned by 320000-DCS, task at 320000-FGW
SEES_B = SUBTREE | {"city_office"}  # B: owned by 320100-DCS, task at 320100-FGW


def _h(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = USERS[who]
    return login(client, sub=who, unit=unit, roles=roles)


@pytest.fixture
def world(client: TestClient) -> dict:
    """Instance A (province) and B (city), each with a task for a department."""
    xml = (HERE / "unit_task.bpmn").read_bytes()
    files = {"file": ("unit_task.bpmn", xml, "application/xml")}
    definition = client.post(
        f"{API}/process-definitions", files=files, headers=_h(client, "designer")
    ).json()
    a = client.post(
        f"{API}/process-instances",
        headers=_h(client, "office"),
        json={"process_key": "unit_task", "variables": {"unit": "320000-FGW"}},
    ).json()
    b = client.post(
        f"{API}/process-instances",
        headers=_h(client, "city_office"),
        json={"process_key": "unit_task", "variables": {"unit": "320100-FGW"}},
    ).json()
    return {
        "definition": definition,
        "a": a,
        "b": b,
        "task_a": a["ready_tasks"][0],
        "task_b": b["ready_tasks"][0],
    }


def _status(client, method, url, who, **kw) -> int:
    headers = _h(client, who) if who else {}
    return client.request(method, url, headers=headers, **kw).status_code


def test_every_endpoint_needs_a_token(client, world):
    client.headers.pop("Authorization")
    a, task = world["a"]["id"], world["task_a"]["id"]
    for method, url in [
        ("GET", f"{API}/process-definitions"),
        ("POST", f"{API}/process-definitions"),
        ("GET", f"{API}/process-definitions/{world['definition']['id']}"),
        ("GET", f"{API}/process-definitions/{world['definition']['id']}/xml"),
        ("GET", f"{API}/process-instances"),
        ("POST", f"{API}/process-instances"),
        ("GET", f"{API}/process-instances/{a}"),
        ("GET", f"{API}/process-instances/{a}/history"),
        ("POST", f"{API}/process-instances/{a}/cancel"),
        ("GET", f"{API}/tasks"),
        ("GET", f"{API}/tasks/{task}"),
        ("POST", f"{API}/tasks/{task}/claim"),
        ("POST", f"{API}/tasks/{task}/unclaim"),
        ("POST", f"{API}/tasks/{task}/assign"),
        ("POST", f"{API}/tasks/{task}/complete"),
        ("POST", f"{API}/messages"),
        ("GET", f"{API}/jobs"),
        ("POST", f"{API}/jobs/{a}/execute"),
        ("GET", f"{API}/units"),
        ("GET", f"{API}/units/320000-GOV"),
        ("POST", f"{API}/units"),
        ("GET", f"{API}/audit"),
        ("GET", f"{API}/audit/verify"),
        ("GET", f"{API}/me"),
    ]:
        assert _status(client, method, url, None) == 401, (method, url)


def test_reading_definitions_units_and_me_is_open_to_every_role(client, world):
    definition = world["definition"]["id"]
    for who in USERS:
        for url in [
            f"{API}/process-definitions",
            f"{API}/process-definitions/{definition}",
            f"{API}/process-definitions/{definition}/xml",
            f"{API}/units",
            f"{API}/units/320000-GOV",
            f"{API}/me",
        ]:
            assert _status(client, "GET", url, who) == 200, (who, url)


def test_deploying_is_for_designers_and_admins(client, world):
    xml = (HERE / "unit_task.bpmn").read_bytes()
    for who in USERS:
        files = {"file": ("unit_task.bpmn", xml, "application/xml")}
        expected = 200 if who in {"designer", "admin"} else 403  # 200: identical content
        assert (
            _status(client, "POST", f"{API}/process-definitions", who, files=files) == expected
        ), who


def test_starting_is_for_offices_divisions_leaders_and_admins(client, world):
    body = {"process_key": "unit_task", "variables": {"unit": "320000-FGW"}}
    allowed = {"office", "office_head", "division", "leader", "admin", "city_office"}
    for who in USERS:
        expected = 201 if who in allowed else 403
        assert _status(client, "POST", f"{API}/process-instances", who, json=body) == expected, who
    # An owner unit outside your scope is refused.
    outside = {**body, "unit": "320000-DCS"}
    assert _status(client, "POST", f"{API}/process-instances", "city_office", json=outside) == 403


def test_instance_lists_and_reads_are_scoped(client, world):
    a, b = world["a"]["id"], world["b"]["id"]
    for who in USERS:
        listed = client.get(f"{API}/process-instances", headers=_h(client, who)).json()["items"]
        ids = {i["id"] for i in listed}
        assert ids == {x for x, sees in ((a, SEES_A), (b, SEES_B)) if who in sees}, who
        for instance, sees in ((a, SEES_A), (b, SEES_B)):
            expected = 200 if who in sees else 404
            for url in (
                f"{API}/process-instances/{instance}",
                f"{API}/process-instances/{instance}/history",
            ):
                assert _status(client, "GET", url, who) == expected, (who, url)


def test_task_lists_and_reads_are_scoped(client, world):
    task_a, task_b = world["task_a"]["id"], world["task_b"]["id"]
    sees_task_a = SUBTREE | {"handler", "unit_head"}
    sees_task_b = SUBTREE | {"city_office"}
    for who in USERS:
        listed = {
            t["id"] for t in client.get(f"{API}/tasks", headers=_h(client, who)).json()["items"]
        }
        expected = {t for t, sees in ((task_a, sees_task_a), (task_b, sees_task_b)) if who in sees}
        assert listed == expected, who
        inbox = {
            t["id"]
            for t in client.get(
                f"{API}/tasks", params={"mine": True}, headers=_h(client, who)
            ).json()["items"]
        }
        assert inbox == ({task_a} if who == "handler" else set()), who
        assert _status(client, "GET", f"{API}/tasks/{task_a}", who) == (
            200 if who in sees_task_a else 404
        ), who


def test_only_the_units_handler_claims_and_completes(client, world):
    task = world["task_a"]["id"]
    # Read-only roles and admins may not work tasks at all; others in scope lack the unit or the
    # role (403); those who cannot see the task get 404.
    expected = {
        "admin": 403,
        "designer": 404,
        "office": 403,
        "office_head": 403,
        "leader": 403,
        "division": 404,
        "unit_head": 403,
        "evaluator": 404,
        "deputy": 404,
        "personnel": 403,
        "auditor": 403,
        "sibling": 404,
        "city_office": 404,
    }
    for who, status in expected.items():
        assert _status(client, "POST", f"{API}/tasks/{task}/claim", who) == status, who
        assert (
            _status(client, "POST", f"{API}/tasks/{task}/complete", who, json={"variables": {}})
            == status
        ), who
    assert _status(client, "POST", f"{API}/tasks/{task}/claim", "handler") == 200
    detail = client.get(f"{API}/tasks/{task}", headers=_h(client, "handler")).json()
    assert detail["assignee"] == "handler"
    # Unclaim: the assignee or the office that may re-assign.
    for who in ("unit_head", "sibling", "auditor"):
        assert _status(client, "POST", f"{API}/tasks/{task}/unclaim", who) in (403, 404), who
    assert _status(client, "POST", f"{API}/tasks/{task}/unclaim", "office") == 200
    assert (
        _status(
            client,
            "POST",
            f"{API}/tasks/{task}/complete",
            "handler",
            json={"variables": {"result": "done"}},
        )
        == 200
    )


def test_only_the_office_reassigns_within_its_scope(client, world):
    task = world["task_a"]["id"]
    body = {"assignee": "handler"}
    for who in USERS:
        if who in {"office", "office_head", "admin"}:
            continue
        expected = 404 if who == "city_office" else 403
        assert _status(client, "POST", f"{API}/tasks/{task}/assign", who, json=body) == expected, (
            who
        )
    assert _status(client, "POST", f"{API}/tasks/{task}/assign", "office", json=body) == 200
    # A task moves to another unit only inside the office's scope.
    moved = {"unit": "320000-ZJT"}
    assert _status(client, "POST", f"{API}/tasks/{task}/assign", "office", json=moved) == 200
    assert _status(client, "GET", f"{API}/tasks/{task}", "sibling") == 200
    assert _status(client, "GET", f"{API}/tasks/{task}", "handler") == 404
    task_b = world["task_b"]["id"]
    away = {"unit": "320000-FGW"}
    assert _status(client, "POST", f"{API}/tasks/{task_b}/assign", "city_office", json=away) == 403


def test_cancel_messages_jobs_units_and_audit_by_role(client, world):
    b = world["b"]["id"]
    for who in USERS:
        if who in {"office", "office_head", "admin", "city_office"}:
            continue
        assert _status(client, "POST", f"{API}/process-instances/{b}/cancel", who) == 403, who
    assert _status(client, "POST", f"{API}/process-instances/{b}/cancel", "city_office") == 200
    # The province's office may cancel in its whole subtree; the city's never above it.
    a = world["a"]["id"]
    assert _status(client, "POST", f"{API}/process-instances/{a}/cancel", "city_office") == 404
    message = {"name": "nobody_waits"}
    for who in USERS:
        expected = 404 if who in {"office", "admin", "city_office"} else 403
        assert _status(client, "POST", f"{API}/messages", who, json=message) == expected, who
    jobs_readers = {"office", "office_head", "admin", "auditor", "city_office"}
    (job_a,) = world["a"]["waiting_timers"]
    for who in USERS:
        response = client.get(f"{API}/jobs", headers=_h(client, who))
        assert response.status_code == (200 if who in jobs_readers else 403), who
        if response.status_code == 200:
            listed = {j["id"] for j in response.json()["items"]}
            assert listed == ({job_a["id"]} if who in SEES_A else set()), who
        if who not in {"admin", "office", "office_head"}:
            # Firing a timer is control of its instance: the city's office does not see A.
            expected = 404 if who == "city_office" else 403
            assert _status(client, "POST", f"{API}/jobs/{job_a['id']}/execute", who) == expected, (
                who
            )
    assert _status(client, "POST", f"{API}/jobs/{job_a['id']}/execute", "office_head") == 200
    unit = {
        "code": "320000-X",
        "name": "测试",
        "kind": "department",
        "level": "province",
        "parent_code": "320000-GOV",
    }
    for who in USERS:
        expected = 201 if who == "admin" else 403
        assert _status(client, "POST", f"{API}/units", who, json=unit) == expected, who
    for who in USERS:
        expected = 200 if who in {"auditor", "admin"} else 403
        assert _status(client, "GET", f"{API}/audit", who) == expected, who
        assert _status(client, "GET", f"{API}/audit/verify", who) == expected, who


def test_audit_lists_hold_no_row_of_another_scope(client, world):
    city_auditor = login(client, sub="ca", unit="320100-DCS", roles=["auditor"])
    rows = client.get(f"{API}/audit", params={"limit": 500}, headers=city_auditor).json()["items"]
    assert rows, "the city's own changes are visible"
    assert {r["unit_code"] for r in rows} <= {"320100-DCS", "320100-FGW"}
    province = client.get(
        f"{API}/audit", params={"limit": 500}, headers=_h(client, "auditor")
    ).json()["items"]
    assert {r["action"] for r in province} >= {"instance.start", "definition.deploy"}
