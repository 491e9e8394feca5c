"""The setting both access tests share: Nanjing's office registers a matter led by Xuanwu
district's office with Nanjing's 发改委 co-operating, and its plan is approved."""

from collections.abc import Callable

from fastapi.testclient import TestClient

API = "/api/v1"
OWNER, LEAD, CO = "320100-DCS", "320102-DCS", "320100-FGW"
Headers = Callable[[TestClient, str], dict[str, str]]  # who → the caller's login headers


def do_task(client: TestClient, headers: dict[str, str], element: str, variables: dict) -> None:
    """Complete the caller's one ready task of `element` (from their inbox)."""
    items = client.get(f"{API}/tasks", params={"mine": True, "limit": 500}, headers=headers).json()[
        "items"
    ]
    (task,) = [t for t in items if t["element_id"] == element]
    response = client.post(
        f"{API}/tasks/{task['id']}/complete", json={"variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text


def assigned_matter(client: TestClient, h: Headers) -> dict:
    """The matter, registered by `own_office` and its plan approved by `own_head`: assigned to
    the lead and the co-operating unit (the callers' names are the tests' own)."""
    body = {
        "title": "关于推进老旧小区改造的决定",
        "content": "玄武区牵头，市发改委配合。",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": LEAD,
        "co_units": [CO],
        "explicit_due": "2026-05-29",
    }
    response = client.post(f"{API}/matters", json=body, headers=h(client, "own_office"))
    assert response.status_code == 201, response.text
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": LEAD, "joint": False}
    do_task(client, h(client, "own_office"), "draft_plan", plan)
    do_task(client, h(client, "own_head"), "approve_plan", {"decision": "approve"})
    return dict(response.json())
