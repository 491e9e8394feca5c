"""Drive rectifications with a deadline (限期整改) over REST as the users who do the work.

Shared by the rectification, score and ledger tests and the year-long end-to-end test:
`open_rectification` as the office, `work` one task as a user of a unit, and
`drive_to_accepted` to take every unit's part from its plan to 整改到位.
"""

from datetime import datetime
from typing import Any

from conftest import login
from fastapi.testclient import TestClient

from app.kit.clock import clock

API = "/api/v1"
OFFICE_UNIT = "320000-DCS"


def office(client: TestClient, *, head: bool = False) -> dict[str, str]:
    """The province's supervision office (or its head)."""
    role = "office_head" if head else "supervision_office"
    return login(client, sub=f"{role}-dcs", unit=OFFICE_UNIT, roles=[role])


def handler(client: TestClient, unit: str) -> dict[str, str]:
    """A unit's handler (承办人)."""
    return login(client, sub=f"handler-{unit}", unit=unit, roles=["unit_handler"])


def unit_head(client: TestClient, unit: str) -> dict[str, str]:
    """A unit's head (单位负责人)."""
    return login(client, sub=f"head-{unit}", unit=unit, roles=["unit_head"])


def open_rectification(client: TestClient, **body: Any) -> dict[str, Any]:
    """The office orders a rectification; returns its detail (201 asserted)."""
    payload: dict[str, Any] = {
        "title": "关于督查发现问题限期整改的通知",
        "problems": ["项目审批超时限", "资金拨付不及时"],
        "units": ["320000-FGW", "320000-ZJT"],
        "days": 18,
        "verify_on_site": False,
        **body,
    }
    response = client.post(f"{API}/rectifications", json=payload, headers=office(client))
    assert response.status_code == 201, response.text
    return response.json()


def detail(client: TestClient, rectification_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/rectifications/{rectification_id}", headers=office(client))
    assert response.status_code == 200, response.text
    return response.json()


def part(state: dict[str, Any], unit: str) -> dict[str, Any]:
    """One unit's part of a rectification's detail."""
    (found,) = [p for p in state["parts"] if p["unit_code"] == unit]
    return found


def task_for(
    client: TestClient, headers: dict[str, str], element: str, *, instance_id: str, unit: str
) -> dict[str, Any] | None:
    """The caller's ready task of `element` in the instance, for one unit's part."""
    items = client.get(
        f"{API}/tasks",
        params={"mine": True, "process_instance_id": instance_id, "limit": 500},
        headers=headers,
    ).json()["items"]
    for item in items:
        if item["element_id"] != element:
            continue
        task = client.get(f"{API}/tasks/{item['id']}", headers=headers).json()
        if task["input"].get("unit") == unit:
            return task
    return None


def work(
    client: TestClient,
    headers: dict[str, str],
    element: str,
    variables: dict[str, Any],
    *,
    instance_id: str,
    unit: str,
) -> dict[str, Any]:
    """Complete the caller's task of `element` for `unit`'s part (200 asserted)."""
    task = task_for(client, headers, element, instance_id=instance_id, unit=unit)
    assert task is not None, f"no {element} task for {unit}"
    response = client.post(
        f"{API}/tasks/{task['id']}/complete", json={"variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def submit_plan(client: TestClient, rectification: dict[str, Any], unit: str) -> None:
    work(
        client,
        handler(client, unit),
        "submit_plan",
        {"plan": f"{unit} 整改方案：逐项明确措施、责任人和完成时限", "responsible": "分管副主任"},
        instance_id=rectification["instance_id"],
        unit=unit,
    )


def confirm_plan(client: TestClient, rectification: dict[str, Any], unit: str) -> None:
    work(
        client,
        office(client),
        "confirm_plan",
        {"decision": "confirm"},
        instance_id=rectification["instance_id"],
        unit=unit,
    )


def report(client: TestClient, rectification: dict[str, Any], unit: str) -> None:
    work(
        client,
        handler(client, unit),
        "submit_report",
        {"report": f"{unit} 已完成全部整改事项"},
        instance_id=rectification["instance_id"],
        unit=unit,
    )


def verify(
    client: TestClient,
    rectification: dict[str, Any],
    unit: str,
    *,
    accept: bool = True,
    comment: str = "",
) -> None:
    """The office verifies one part: on site when the rectification asks for it."""
    decision: dict[str, Any] = {"decision": "accept" if accept else "send_back"}
    if not accept:
        decision["comment"] = comment or "整改不到位，请继续整改"
    if rectification["verify_on_site"]:
        element = "verify_on_site"
        decision.update(
            visited_on=clock.now().date().isoformat(),
            site=f"{unit} 项目现场",
            inspectors="王督查、李主任",
            findings="实地查看项目现场，核对台账资料" + ("，整改到位" if accept else "，仍有问题"),
        )
    else:
        element = "verify_report"
        decision["findings"] = "核对整改报告和佐证材料" + ("，整改到位" if accept else "")
    work(
        client,
        office(client),
        element,
        decision,
        instance_id=rectification["instance_id"],
        unit=unit,
    )


def drive_to_accepted(client: TestClient, rectification: dict[str, Any]) -> dict[str, Any]:
    """Take every part from wherever it stands to 整改到位; returns the final detail."""
    for unit in [p["unit_code"] for p in rectification["parts"]]:
        _drive_part(client, rectification, unit)
    return detail(client, rectification["id"])


def _drive_part(client: TestClient, rectification: dict[str, Any], unit: str) -> None:
    instance = rectification["instance_id"]

    def ready(headers: dict[str, str], element: str) -> bool:
        return task_for(client, headers, element, instance_id=instance, unit=unit) is not None

    if ready(handler(client, unit), "submit_plan"):
        submit_plan(client, rectification, unit)
    if ready(unit_head(client, unit), "sign_off_plan"):
        work(
            client,
            unit_head(client, unit),
            "sign_off_plan",
            {"decision": "approve"},
            instance_id=instance,
            unit=unit,
        )
    if ready(office(client), "confirm_plan"):
        confirm_plan(client, rectification, unit)
    if ready(handler(client, unit), "submit_report"):
        report(client, rectification, unit)
    if ready(office(client), "verify_report") or ready(office(client), "verify_on_site"):
        verify(client, rectification, unit)


def fire_due_timers(client: TestClient, to: datetime) -> None:
    """Move the clock to `to` and fire every timer due by then."""
    clock.freeze(to)
    client.app.state.scheduler.run_due()
