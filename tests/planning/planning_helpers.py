"""Drive annual plans and activity proposals over REST as the demo users.

Shared by the planning tests and reused by the year-long end-to-end test: `approve_plan` and
`approve_proposal` take a body, walk every task as the right user and return the final detail.
"""

from fastapi.testclient import TestClient
from rest import API, USERS, as_, do, inbox  # noqa: F401 - re-exported for the tests


def task_of(client: TestClient, who: str, element: str, instance_id: str) -> dict:
    """The one ready task of `element` in an instance, from `who`'s inbox."""
    (task,) = [t for t in inbox(client, who, instance_id) if t["element_id"] == element]
    return task


def complete(client: TestClient, who: str, task: dict, variables: dict, expect: int = 200):
    response = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": variables},
        headers=as_(client, who),
    )
    assert response.status_code == expect, response.text
    return response.json()


def work(client: TestClient, who: str, element: str, instance_id: str, variables: dict) -> dict:
    """Complete `who`'s task of `element` in the instance with `variables`."""
    return complete(client, who, task_of(client, who, element, instance_id), variables)


def plan(client: TestClient, plan_id: str, who: str = "office") -> dict:
    response = client.get(f"{API}/plans/{plan_id}", headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def proposal(client: TestClient, proposal_id: str, who: str = "office") -> dict:
    response = client.get(f"{API}/activity-proposals/{proposal_id}", headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def draft_plan(client: TestClient, body: dict, who: str = "office") -> dict:
    response = client.post(f"{API}/plans", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def approve_plan(client: TestClient, body: dict) -> dict:
    """Draft the plan as the office, submit it, pass it as the office head and approve it as the
    leader; returns the approved plan (its items carry the created matter and activity ids)."""
    drafted = draft_plan(client, body)
    instance = drafted["instance_id"]
    work(client, "office", "submit_plan", instance, {"submit_note": "报请审核"})
    work(client, "head", "review_plan", instance, {"head_decision": "pass"})
    work(client, "leader", "decide_plan", instance, {"leader_decision": "approve"})
    return plan(client, drafted["id"])


def submit_proposal(client: TestClient, body: dict, who: str = "division") -> dict:
    response = client.post(f"{API}/activity-proposals", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def approve_proposal(client: TestClient, body: dict, who: str = "division") -> dict:
    """Submit as a division, recommend as the office and approve as the leader in charge;
    returns the proposal (its `activity_id` is the activity created)."""
    submitted = submit_proposal(client, body, who)
    instance = submitted["instance_id"]
    work(client, "office", "review_proposal", instance, {"review_decision": "approve"})
    work(client, "leader", "approve_proposal", instance, {"leader_decision": "approve"})
    return proposal(client, submitted["id"])


def activity_item(subject: str, units: list[str], start: str, end: str, **extra: object) -> dict:
    """A plan item for an activity (专项督查 on site unless told otherwise)."""
    return {
        "subject": subject,
        "content": f"{subject}：检查部署落实、问题整改情况。",
        "category": "key_work",
        "item_type": "activity",
        "activity_kind": "special",
        "method": "on_site",
        "target_units": units,
        "period_start": start,
        "period_end": end,
        **extra,
    }


def matter_item(subject: str, lead: str, co: list[str] | None = None, **extra: object) -> dict:
    """A plan item for a matter (annual key work unless told otherwise)."""
    return {
        "subject": subject,
        "content": f"{subject}，按季度报告进展。",
        "category": "key_work",
        "item_type": "matter",
        "source_type": "annual_key_work",
        "lead_unit": lead,
        "co_units": co or [],
        **extra,
    }


def proposal_body(title: str, units: list[str], start: str, end: str, **extra: object) -> dict:
    return {
        "title": title,
        "content": f"{title}：实地检查，听取汇报，查阅台账。",
        "reason": "省政府领导批示要求近期开展，未列入年度计划",
        "kind": "special",
        "method": "on_site",
        "category": "key_work",
        "target_units": units,
        "period_start": start,
        "period_end": end,
        **extra,
    }
