"""seed 二(一): the annual supervision plan — drafted by the office around the government's
central work, reviewed by the office head, approved (or returned) by the principal leader;
approved items become matters and activities."""

from datetime import UTC, datetime, timedelta

from planning_helpers import (
    API,
    activity_item,
    approve_plan,
    as_,
    draft_plan,
    inbox,
    matter_item,
    plan,
    task_of,
    work,
)

from app.kit.clock import clock

BASIS = "围绕省政府2026年工作报告确定的重点任务和民生实事，统筹安排全年督查。"


def _plan_body(**extra: object) -> dict:
    return {
        "year": 2026,
        "title": "2026年度省政府督查计划",
        "basis": BASIS,
        "items": [
            matter_item("2026年省政府工作报告重点任务落实", "320000-FGW", ["320000-ZJT"]),
            matter_item(
                "重大项目建设推进",
                "320000-ZJT",
                source_type="major_decision",
                category="key_work",
                explicit_due="2026-09-30",
            ),
            activity_item(
                "全省安全生产大检查专项督查",
                ["320100-GOV", "320200-GOV"],
                "2026-04-01",
                "2026-05-31",
            ),
            activity_item(
                "民生实事项目推进情况第三方评估",
                ["320000-ZJT"],
                "2026-09-01",
                "2026-10-31",
                method="third_party",
                activity_kind="comprehensive",
                category="key_work",
            ),
        ],
        **extra,
    }


def test_plan_returned_by_leader_revised_and_approved_becomes_matters_and_activities(
    matter_client,
):
    # seed 二(一): 年度督查计划报政府主要负责同志同意后组织实施
    client = matter_client
    drafted = draft_plan(client, _plan_body())
    pid, instance = drafted["id"], drafted["instance_id"]
    assert drafted["status"] == "drafting"
    assert drafted["leader_unit"] == "320000-GOV"  # the government above the office
    assert [t["element_id"] for t in drafted["ready_tasks"]] == ["submit_plan"]
    assert [i["seq"] for i in drafted["items"]] == [1, 2, 3, 4]

    work(client, "office", "submit_plan", instance, {"submit_note": "请审核"})
    assert plan(client, pid)["status"] == "reviewing"
    # The office head returns it once: back to the office.
    work(
        client,
        "head",
        "review_plan",
        instance,
        {"head_decision": "return", "head_comment": "请补充第三方评估安排"},
    )
    assert plan(client, pid)["status"] == "returned"
    work(client, "office", "submit_plan", instance, {})
    work(client, "head", "review_plan", instance, {"head_decision": "pass"})
    detail = plan(client, pid)
    assert detail["status"] == "approving"
    (leader_task,) = detail["ready_tasks"]
    assert leader_task["element_id"] == "decide_plan"
    assert leader_task["unit_code"] == "320000-GOV" and leader_task["lane"] == "leader"
    # Only the leader of that government works it: not the office head.
    assert not [t for t in inbox(client, "head") if t["instance_id"] == instance]

    # The leader returns it with comments.
    work(
        client,
        "leader",
        "decide_plan",
        instance,
        {"leader_decision": "return", "leader_comment": "增加大气污染防治督查"},
    )
    returned = plan(client, pid)
    assert returned["status"] == "returned" and returned["return_count"] == 2
    assert returned["returned_comment"] == "增加大气污染防治督查"
    assert [r["summary"] for r in returned["returns"]] == [
        "督查室负责人退回修改：请补充第三方评估安排",
        "政府主要负责同志退回修改：增加大气污染防治督查",
    ]
    assert [t["element_id"] for t in returned["ready_tasks"]] == ["submit_plan"]

    # The office revises the items, resubmits; the head passes; the leader approves.
    items = _plan_body()["items"] + [
        activity_item(
            "大气污染防治督查",
            ["320000-GOV"],
            "2026-06-01",
            "2026-06-30",
            category="reform",
            activity_kind="special",
        )
    ]
    revised = client.put(
        f"{API}/plans/{pid}/items", json={"items": items}, headers=as_(client, "office")
    )
    assert revised.status_code == 200, revised.text
    assert len(revised.json()["items"]) == 5
    work(client, "office", "submit_plan", instance, {"submit_note": "已按意见增加大气污染防治督查"})
    work(client, "head", "review_plan", instance, {"head_decision": "pass"})
    work(client, "leader", "decide_plan", instance, {"leader_decision": "approve"})

    approved = plan(client, pid)
    assert approved["status"] == "approved"
    assert approved["approved_by"] == "leader" and approved["ready_tasks"] == []
    matters = [i for i in approved["items"] if i["item_type"] == "matter"]
    activities = [i for i in approved["items"] if i["item_type"] == "activity"]
    assert all(i["matter_id"] and not i["activity_id"] for i in matters)
    assert all(i["activity_id"] and not i["matter_id"] for i in activities)
    kinds = [e["kind"] for e in approved["history"]]
    assert kinds[0] == "drafted" and kinds[-2:] == ["approved", "items_created"]

    # The matter items are registered matters with their units and seed 三(一) deadlines.
    listed = client.get(f"{API}/matters", headers=as_(client, "office")).json()["items"]
    by_title = {m["title"]: m for m in listed}
    key_work = client.get(
        f"{API}/matters/{matters[0]['matter_id']}", headers=as_(client, "office")
    ).json()
    assert key_work["title"] == "2026年省政府工作报告重点任务落实" in by_title
    assert key_work["lead_unit"] == "320000-FGW" and key_work["co_units"] == ["320000-ZJT"]
    assert key_work["source_ref"] == "2026年度督查计划第1项"
    quarterly = sorted(
        d["due"]
        for d in key_work["deadlines"]
        if d["kind"] == "quarterly_report" and d["unit_code"] == "320000-FGW"
    )
    assert quarterly[:2] == ["2026-07-15", "2026-10-15"]  # seed 三(一): 7月15日、10月15日
    project = client.get(
        f"{API}/matters/{matters[1]['matter_id']}", headers=as_(client, "office")
    ).json()
    assert project["final_due"] == "2026-09-30" and project["lead_unit"] == "320000-ZJT"
    # Each matter's own process runs: the office drafts its supervision plan (督查方案).
    office_tasks = {
        t["instance_id"] for t in inbox(client, "office") if t["element_id"] == "draft_plan"
    }
    assert {key_work["instance_id"], project["instance_id"]} <= office_tasks
    assert key_work["instance_id"] in {m["instance_id"] for m in listed}


def test_leader_is_reminded_when_undecided(matter_client):
    # seed 二(一) with a configurable reminder: the leader has not decided within N days
    client = matter_client
    drafted = draft_plan(client, _plan_body(remind_after_days=3))
    instance = drafted["instance_id"]
    work(client, "office", "submit_plan", instance, {})
    work(client, "head", "review_plan", instance, {"head_decision": "pass"})
    task = task_of(client, "leader", "decide_plan", instance)
    due = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
    assert due - datetime(2026, 3, 2, 1, 0, tzinfo=UTC) == timedelta(days=3)
    clock.freeze(due + timedelta(minutes=1))
    client.app.state.scheduler.run_due()
    detail = plan(client, drafted["id"])
    (reminder,) = [e for e in detail["history"] if e["kind"] == "reminded"]
    assert "逾3日未批" in reminder["summary"]
    # The task is still the leader's to decide.
    assert [t["element_id"] for t in detail["ready_tasks"]] == ["decide_plan"]


def test_items_only_change_while_drafting_or_returned(matter_client):
    client = matter_client
    drafted = draft_plan(client, _plan_body())
    work(client, "office", "submit_plan", drafted["instance_id"], {})
    response = client.put(
        f"{API}/plans/{drafted['id']}/items",
        json={"items": _plan_body()["items"][:1]},
        headers=as_(client, "office"),
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "plan_not_editable"
    assert len(plan(client, drafted["id"])["items"]) == 4


def test_one_plan_per_office_and_year(matter_client):
    client = matter_client
    approve_plan(client, _plan_body())
    response = client.post(f"{API}/plans", json=_plan_body(), headers=as_(client, "office"))
    assert response.status_code == 409
    assert response.json()["code"] == "plan_exists"
    assert "already has the 2026 annual plan" in response.json()["detail"]
    # Another year is another plan.
    other = client.post(f"{API}/plans", json=_plan_body(year=2027), headers=as_(client, "office"))
    assert other.status_code == 201, other.text


def test_bad_plans_are_refused_naming_the_field(matter_client):
    client = matter_client
    office = as_(client, "office")

    def refused(items: list[dict], status: int = 422) -> list[dict]:
        response = client.post(f"{API}/plans", json=_plan_body(items=items), headers=office)
        assert response.status_code == status, response.text
        return response.json()["errors"]

    good = _plan_body()["items"]
    unknown = [
        *good[:3],
        activity_item("督查", ["320000-FGW", "999999-XX"], "2026-04-01", "2026-05-01"),
    ]
    assert refused(unknown) == [
        {"field": "items/3/target_units/1", "message": "unknown unit '999999-XX'"}
    ]
    backwards = [activity_item("督查", ["320000-FGW"], "2026-05-01", "2026-04-01")]
    assert refused(backwards)[0]["field"] == "items/0/period_end"
    no_lead = [{**matter_item("事项", "320000-FGW"), "lead_unit": None}]
    assert refused(no_lead)[0]["field"] == "items/0/lead_unit"
    no_due = [matter_item("事项", "320000-FGW", source_type="major_decision")]
    assert refused(no_due)[0]["field"] == "items/0/explicit_due"
    no_method = [
        {**activity_item("督查", ["320000-FGW"], "2026-04-01", "2026-05-01"), "method": None}
    ]
    assert refused(no_method)[0]["field"] == "items/0/method"
    # A unit outside the province office's government is not the office's to plan for.
    city = client.post(
        f"{API}/plans",
        json=_plan_body(items=[activity_item("督查", ["320000-FGW"], "2026-04-01", "2026-05-01")]),
        headers=as_(client, "city_office"),
    )
    assert city.status_code == 403
    assert city.json()["errors"][0]["field"] == "items/0/target_units/0"
    # A division may not draft the plan.
    assert (
        client.post(f"{API}/plans", json=_plan_body(), headers=as_(client, "division")).status_code
        == 403
    )
    bad_schema = client.post(f"{API}/plans", json={**_plan_body(), "items": []}, headers=office)
    assert bad_schema.status_code == 422
    # Nothing was created.
    assert client.get(f"{API}/plans", headers=office).json()["total"] == 0


def test_plans_are_scoped(matter_client):
    # domain.md §2: a city's office never sees the province's plan
    client = matter_client
    province = approve_plan(client, _plan_body())
    city_body = _plan_body(
        title="2026年度南京市政府督查计划",
        items=[activity_item("营商环境督查", ["320102-GOV"], "2026-04-01", "2026-05-31")],
    )
    city = draft_plan(client, city_body, who="city_office")
    assert city["leader_unit"] == "320100-GOV"

    def ids(who: str, **params: object) -> set[str]:
        response = client.get(f"{API}/plans", params=params, headers=as_(client, who))
        assert response.status_code == 200
        return {p["id"] for p in response.json()["items"]}

    assert ids("office") == {province["id"], city["id"]}
    assert ids("city_office") == {city["id"]}
    assert ids("office", status="approved") == {province["id"]}
    assert ids("office", year=2027) == set()
    hidden = client.get(f"{API}/plans/{province['id']}", headers=as_(client, "city_office"))
    assert hidden.status_code == 404
    assert (
        client.put(
            f"{API}/plans/{province['id']}/items",
            json={"items": city_body["items"]},
            headers=as_(client, "city_office"),
        ).status_code
        == 404
    )
