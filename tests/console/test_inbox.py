"""GET /api/v1/console/inbox: each open task names what it is about (a matter's number and
title, a plan, a rectification), most urgent first, searchable, within the caller's scope."""

from datetime import UTC, datetime, timedelta

from planning.planning_helpers import draft_plan, matter_item
from rectification.rectification_helpers import open_rectification
from rest import API, as_, do, get

from app.console.inbox import light_bounds
from app.supervision import api as matters_api

PROJECTS = "关于推进重点项目建设的督办事项"
BUSINESS = "关于优化营商环境的督办事项"


def register(client, title: str, **fields) -> dict:
    """The office registers a matter and approves its plan: the lead unit has a sign-for task."""
    body = {
        "title": title,
        "content": "请按期办结。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "co_units": [],
        **fields,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    registered: dict = response.json()
    plan = {"plan_title": title, "plan_content": "分工", "lead_unit": body["lead_unit"]}
    instance = registered["instance_id"]
    do(client, "office", "draft_plan", {**plan, "joint": False}, instance)
    do(client, "head", "approve_plan", {"decision": "approve"}, instance)
    return registered


def inbox(client, who: str, **params) -> dict:
    response = client.get(f"{API}/console/inbox", params=params, headers=as_(client, who))
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def named(body: dict) -> list[tuple[str, str, str | None]]:
    """Each row as (task name, subject number, subject title)."""
    return [
        (t["name"], (t["subject"] or {}).get("code"), (t["subject"] or {}).get("title"))
        for t in body["items"]
    ]


def test_two_matters_of_one_unit_are_told_apart_by_number_and_title(matter_client):
    client = matter_client
    projects = register(client, PROJECTS)
    business = register(client, BUSINESS)
    body = inbox(client, "fgw")
    assert sorted(named(body)) == [
        ("签收或退回", projects["code"], PROJECTS),
        ("签收或退回", business["code"], BUSINESS),
    ]
    for task in body["items"]:
        assert task["subject"]["kind"] == "matter"
        assert task["unit_code"] == "320000-FGW" and task["assignee"] is None
        assert task["documentation"].startswith("承办单位签收交办事项")
        assert task["light"] == "yellow" and task["due_at"] == "2026-03-05T15:59:59Z"
    by_matter = {t["subject"]["id"]: t["instance_id"] for t in body["items"]}
    assert by_matter == {
        projects["id"]: projects["instance_id"],
        business["id"]: business["instance_id"],
    }
    # Signing for one matter leaves the other's sign-for; the signed one asks for its report.
    (task,) = [t for t in body["items"] if t["subject"]["id"] == business["id"]]
    response = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": {"decision": "sign"}},
        headers=as_(client, "fgw"),
    )
    assert response.status_code == 200, response.text
    assert sorted(named(inbox(client, "fgw"))) == [
        ("牵头单位报送办理情况", business["code"], BUSINESS),
        ("签收或退回", projects["code"], PROJECTS),
    ]


def test_overdue_first_then_due_soon_then_by_due_date_with_counts(matter_client):
    client = matter_client  # 2026-03-02
    open_rectification(client, title="关于审批超时问题的整改通知")  # plan due 20 March: green
    soon = register(client, PROJECTS)  # sign for by 5 March: yellow
    late = register(client, BUSINESS, assigned_on="2026-01-05")  # by 8 January: red
    body = inbox(client, "fgw")
    assert [t["light"] for t in body["items"]] == ["red", "yellow", "green"]
    assert [(t["subject"] or {})["code"] for t in body["items"]] == [
        late["code"],
        soon["code"],
        "ZG-2026-0001",
    ]
    assert (body["total"], body["overdue"], body["due_soon"]) == (3, 1, 1)
    counts = client.get(f"{API}/console/inbox/counts", headers=as_(client, "fgw"))
    assert counts.json() == {"total": 3, "overdue": 1, "due_soon": 1}
    # Paged in the database: the second page starts where the first stopped.
    page = inbox(client, "fgw", limit=2, offset=1)
    assert [t["light"] for t in page["items"]] == ["yellow", "green"]
    assert page["total"] == 3


def test_search_by_number_title_or_unit_name(matter_client):
    client = matter_client
    projects = register(client, PROJECTS)
    business = register(client, BUSINESS, lead_unit="320000-ZJT")
    codes = lambda body: sorted(t["subject"]["code"] for t in body["items"])  # noqa: E731
    assert codes(inbox(client, "office", scope="all", q=business["code"])) == [business["code"]]
    assert codes(inbox(client, "office", scope="all", q="营商环境")) == [business["code"]]
    assert codes(inbox(client, "office", scope="all", q="发展和改革")) == [projects["code"]]
    assert codes(inbox(client, "office", scope="all", q="督办事项")) == sorted(
        [projects["code"], business["code"]]
    )
    assert inbox(client, "office", scope="all", q="100%_")["items"] == []


def test_a_unit_never_sees_another_units_tasks(matter_client):
    client = matter_client
    register(client, PROJECTS)
    business = register(client, BUSINESS, lead_unit="320000-ZJT")
    for scope in ("mine", "unit", "all"):
        body = inbox(client, "zjt", scope=scope)
        assert named(body) == [("签收或退回", business["code"], BUSINESS)], scope
        assert body["total"] == 1
    # The office reads both, but works neither: its own inbox is empty.
    assert inbox(client, "office", scope="all")["total"] == 2
    assert inbox(client, "office")["total"] == 0
    # A user of the unit whose role is not a candidate does not have them as "mine".
    assert inbox(client, "personnel", scope="mine")["total"] == 0
    assert inbox(client, "personnel", scope="unit")["total"] == 1


def test_plan_and_rectification_tasks_are_named_by_what_they_are_about(matter_client):
    client = matter_client
    plan = draft_plan(
        client,
        {
            "year": 2026,
            "title": "2026年度省政府督查计划",
            "basis": "省政府工作报告",
            "items": [matter_item("重点任务落实", "320000-FGW")],
        },
    )
    rectification = open_rectification(client)
    (drafting,) = inbox(client, "office")["items"]
    assert drafting["name"] and drafting["instance_id"] == plan["instance_id"]
    assert drafting["subject"] == {
        "kind": "plan",
        "id": plan["id"],
        "code": "2026",
        "title": "2026年度省政府督查计划",
    }
    (part,) = inbox(client, "fgw")["items"]
    assert part["subject"] == {
        "kind": "rectification",
        "id": rectification["id"],
        "code": rectification["code"],
        "title": "关于督查发现问题限期整改的通知",
    }


def test_a_bad_scope_is_refused_naming_the_field(matter_client):
    response = matter_client.get(
        f"{API}/console/inbox", params={"scope": "everyone"}, headers=as_(matter_client, "fgw")
    )
    assert response.status_code == 422
    assert "scope" in response.text


def test_the_matter_board_searches_number_title_and_lead_unit(matter_client):
    client = matter_client
    projects = register(client, PROJECTS)
    business = register(client, BUSINESS, lead_unit="320000-ZJT")

    def board(q: str) -> list[str]:
        response = client.get(f"{API}/matters", params={"q": q}, headers=as_(client, "office"))
        assert response.status_code == 200, response.text
        return sorted(m["code"] for m in response.json()["items"])

    assert board(business["code"].lower()) == [business["code"]]
    assert board("营商环境") == [business["code"]]
    assert board("住房和城乡建设") == [business["code"]]
    assert board("发展和改革") == [projects["code"]]


def test_a_text_search_counts_exactly_only_up_to_its_own_cap(matter_client, monkeypatch):
    # A search is matched on each row's own text, which no index holds: its count reads the rows
    # themselves, so it stops sooner (`SEARCH_COUNT_CAP`) than a list's (`COUNT_CAP`).
    client = matter_client
    monkeypatch.setattr(matters_api, "SEARCH_COUNT_CAP", 2)
    for _ in range(4):
        register(client, PROJECTS)

    def board(**params: str) -> dict:
        return get(client, "/matters", params={**params, "limit": 1})

    searched, listed = board(q="重点项目"), board()
    assert searched["total_is_estimate"] is True and searched["total"] >= 3, searched
    assert (listed["total"], listed["total_is_estimate"]) == (4, False)
    assert (board(q="营商环境")["total"], board(q="营商环境")["total_is_estimate"]) == (0, False)


def test_the_lights_buckets_follow_the_due_date():
    # domain.md §7: a task due earlier is never in a greener bucket than one due later (red
    # before yellow before green), so the inbox's urgency order is the due date's, which an
    # index serves (inbox.urgency).
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    for day in range(400):
        red_before, yellow_before = light_bounds(start + timedelta(days=day))
        assert red_before <= yellow_before
