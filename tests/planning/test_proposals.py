"""seed 二(一), 条例 Art. 15: unplanned supervision in the government's name is sent by the
business division to the supervision office for review before approval, which shows the
overlapping supervisions (重复督查、交叉督查、多头督查) and approves, merges or rejects."""

import uuid

from planning_helpers import (
    API,
    activity_item,
    approve_plan,
    approve_proposal,
    as_,
    complete,
    inbox,
    proposal,
    proposal_body,
    submit_proposal,
    task_of,
    work,
)

from app.activities.models import Activity


def _plan_with_safety_inspection(client) -> dict:
    """The province's approved plan: a safety inspection of Nanjing and Wuxi in April–May."""
    approved = approve_plan(
        client,
        {
            "year": 2026,
            "title": "2026年度省政府督查计划",
            "basis": "围绕省政府中心工作安排全年督查",
            "items": [
                activity_item(
                    "全省安全生产大检查专项督查",
                    ["320100-GOV", "320200-GOV"],
                    "2026-04-01",
                    "2026-05-31",
                ),
                activity_item(
                    "优化营商环境政策落实督查", ["320000-FGW"], "2026-06-01", "2026-07-31"
                ),
            ],
        },
    )
    return approved


def _activity(client, activity_id: str) -> Activity:
    with client.app.state.engine.db.session() as s:
        activity = s.get(Activity, uuid.UUID(activity_id))
        assert activity is not None
        s.expunge(activity)
        return activity


def test_overlap_shown_and_proposal_merged_into_the_planned_activity(matter_client):
    # seed 二(一): 送同级政府督查机构审核，避免重复督查、交叉督查、多头督查
    client = matter_client
    plan = _plan_with_safety_inspection(client)
    safety = plan["items"][0]["activity_id"]
    submitted = submit_proposal(
        client,
        proposal_body("安全生产隐患排查整治情况督查", ["320102-GOV"], "2026-05-01", "2026-06-30"),
    )
    assert submitted["status"] == "reviewing"
    assert submitted["office_unit"] == "320000-DCS" and submitted["leader_unit"] == "320000-GOV"
    (overlap,) = submitted["overlaps"]
    assert overlap["kind"] == "activity" and overlap["id"] == safety
    assert overlap["title"] == "全省安全生产大检查专项督查"
    reasons = {r["kind"]: r for r in overlap["reasons"]}
    assert reasons["units"]["detail"] == "上下级单位 320100-GOV 包含 320102-GOV"
    assert reasons["period"]["detail"] == "时间重叠 2026-05-01至2026-05-31"
    assert reasons["subject"]["detail"].startswith("主题相似 ")
    assert "共同词 安全生产" in reasons["subject"]["detail"]
    assert reasons["period"]["detail_en"] == "periods overlap 2026-05-01 to 2026-05-31"

    # The office's review task carries the overlaps in its data.
    task = task_of(client, "office", "review_proposal", submitted["instance_id"])
    assert task["unit_code"] == "320000-DCS"
    detail = client.get(f"{API}/tasks/{task['id']}", headers=as_(client, "office")).json()
    assert [o["id"] for o in detail["input"]["overlaps"]] == [safety]

    # Merging into something that is not an activity the office can see is refused.
    refused = complete(
        client,
        "office",
        task,
        {"review_decision": "merge", "merge_into": str(uuid.uuid4())},
        expect=422,
    )
    assert refused["errors"][0]["field"] == "merge_into"
    no_target = complete(client, "office", task, {"review_decision": "merge"}, expect=422)
    assert no_target["code"] == "invalid_data"
    assert proposal(client, submitted["id"])["status"] == "reviewing"

    complete(
        client,
        "office",
        task,
        {"review_decision": "merge", "merge_into": safety, "review_comment": "并入大检查"},
    )
    merged = proposal(client, submitted["id"])
    assert merged["status"] == "merged" and merged["merged_into"] == safety
    assert merged["activity_id"] is None and merged["ready_tasks"] == []
    assert merged["history"][-1]["kind"] == "merged"
    assert "并入已有督查活动" in merged["history"][-1]["summary"]
    # The activity notes the proposal folded into it.
    assert submitted["code"] in _activity(client, safety).content


def test_near_miss_not_shown_and_approved_proposal_becomes_an_activity(matter_client):
    client = matter_client
    _plan_with_safety_inspection(client)
    # Same units and period, a different subject (食品安全 is not 安全生产): no overlap.
    body = proposal_body("食品安全专项检查", ["320100-GOV"], "2026-04-15", "2026-05-15")
    approved = approve_proposal(client, body)
    assert approved["overlaps"] == []
    assert approved["status"] == "approved" and approved["decided_by"] == "leader"
    activity = _activity(client, approved["activity_id"])
    assert activity.origin == "proposal" and activity.proposal_id == uuid.UUID(approved["id"])
    assert activity.title == "食品安全专项检查" and activity.target_units == ["320100-GOV"]
    assert activity.owner_unit == "320000-DCS" and activity.division_unit == "320000-GO-ZH1"
    assert [e["kind"] for e in approved["history"]] == ["submitted", "recommended", "approved"]

    # Recomputed live: a later proposal on the same subject now overlaps the new activity.
    later = submit_proposal(
        client, proposal_body("食品安全专项督查", ["320100-GOV"], "2026-05-01", "2026-05-31")
    )
    live = client.get(
        f"{API}/activity-proposals/{later['id']}/overlaps", headers=as_(client, "office")
    ).json()
    assert [(o["kind"], o["id"]) for o in live] == [("activity", approved["activity_id"])]
    assert live[0]["reasons"][0]["detail"] == "同一单位 320100-GOV"


def test_rejections_by_the_office_and_by_the_leader(matter_client):
    client = matter_client
    first = submit_proposal(
        client, proposal_body("河长制落实情况督查", ["320000-FGW"], "2026-04-01", "2026-04-30")
    )
    task = task_of(client, "office", "review_proposal", first["instance_id"])
    # seed 二(一): refusing needs its reason
    assert complete(client, "office", task, {"review_decision": "reject"}, expect=422)
    complete(
        client,
        "office",
        task,
        {"review_decision": "reject", "review_comment": "已纳入年度计划，不再单独开展"},
    )
    rejected = proposal(client, first["id"])
    assert rejected["status"] == "rejected" and rejected["review_decision"] == "reject"
    assert rejected["review_comment"] == "已纳入年度计划，不再单独开展"

    second = submit_proposal(
        client, proposal_body("耕地保护督查", ["320000-FGW"], "2026-04-01", "2026-04-30")
    )
    work(client, "office", "review_proposal", second["instance_id"], {"review_decision": "approve"})
    assert proposal(client, second["id"])["status"] == "approving"
    task = task_of(client, "leader", "approve_proposal", second["instance_id"])
    assert task["unit_code"] == "320000-GOV"
    complete(client, "leader", task, {"leader_decision": "reject", "leader_comment": "暂缓"})
    refused = proposal(client, second["id"])
    assert refused["status"] == "rejected" and refused["activity_id"] is None
    assert refused["history"][-1]["summary"] == "分管负责同志不同意开展：暂缓"


def test_pending_proposals_overlap_each_other_ranked(matter_client):
    client = matter_client
    first = submit_proposal(
        client,
        proposal_body("营商环境改善情况实地督查", ["320100-GOV"], "2026-04-01", "2026-06-30"),
    )
    second = submit_proposal(
        client,
        proposal_body("优化营商环境政策落实督查", ["320100-FGW"], "2026-05-01", "2026-05-31"),
        who="division_jj",
    )
    assert [(o["kind"], o["id"]) for o in second["overlaps"]] == [("proposal", first["id"])]
    third = submit_proposal(
        client, proposal_body("营商环境政策落实督查", ["320100-FGW"], "2026-05-01", "2026-05-31")
    )
    ranked = client.get(
        f"{API}/activity-proposals/{third['id']}/overlaps", headers=as_(client, "office")
    ).json()
    assert [o["id"] for o in ranked] == [second["id"], first["id"]]  # same unit ranks first
    assert ranked[0]["score"] > ranked[1]["score"]
    strict = client.get(
        f"{API}/activity-proposals/{third['id']}/overlaps",
        params={"threshold": 0.99},
        headers=as_(client, "office"),
    ).json()
    assert strict == []


def test_bad_proposals_are_refused_and_change_nothing(matter_client):
    client = matter_client
    division = as_(client, "division")

    def post(body: dict, who: str = "division"):
        return client.post(f"{API}/activity-proposals", json=body, headers=as_(client, who))

    backwards = post(proposal_body("督查", ["320000-FGW"], "2026-05-01", "2026-04-01"))
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "period_end"
    unknown = post(proposal_body("督查", ["320000-FGW", "nowhere"], "2026-04-01", "2026-05-01"))
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "target_units/1", "message": "unknown unit 'nowhere'"}
    ]
    outside = post(
        proposal_body("督查", ["320000-FGW"], "2026-04-01", "2026-05-01"), who="city_division"
    )
    assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "target_units/0"
    assert (
        post(
            proposal_body("督查", ["320000-FGW"], "2026-04-01", "2026-05-01"), who="fgw"
        ).status_code
        == 403
    )
    no_units = post(proposal_body("督查", [], "2026-04-01", "2026-05-01"))
    assert no_units.status_code == 422
    bad_kind = post(proposal_body("督查", ["320000-FGW"], "2026-04-01", "2026-05-01", kind="x"))
    assert bad_kind.status_code == 422
    assert (
        client.get(f"{API}/activity-proposals", headers=as_(client, "office")).json()["total"] == 0
    )
    assert (
        client.get(f"{API}/activity-proposals/{uuid.uuid4()}", headers=division).status_code == 404
    )


def test_proposals_are_scoped(matter_client):
    client = matter_client
    province = submit_proposal(
        client, proposal_body("安全生产督查", ["320100-GOV"], "2026-04-01", "2026-04-30")
    )
    city = submit_proposal(
        client,
        proposal_body("安全生产督查", ["320102-GOV"], "2026-04-01", "2026-04-30"),
        who="city_division",
    )
    assert city["office_unit"] == "320100-DCS" and city["leader_unit"] == "320100-GOV"
    # The city's office reviews the city's proposal; it does not see the province's one.
    assert [t["instance_id"] for t in inbox(client, "city_office")] == [city["instance_id"]]
    assert city["overlaps"] == []  # the province's proposal is outside the city's scope

    def ids(who: str) -> set[str]:
        items = client.get(f"{API}/activity-proposals", headers=as_(client, who)).json()["items"]
        return {p["id"] for p in items}

    assert ids("office") == {province["id"], city["id"]}
    assert ids("city_office") == {city["id"]}
    assert ids("division") == {province["id"]}
    assert ids("division_jj") == set()
    for who in ("city_office", "division_jj"):
        url = f"{API}/activity-proposals/{province['id']}"
        assert client.get(url, headers=as_(client, who)).status_code == 404
        assert client.get(f"{url}/overlaps", headers=as_(client, who)).status_code == 404
    listed = client.get(
        f"{API}/activity-proposals", params={"status": "reviewing"}, headers=as_(client, "office")
    ).json()
    assert listed["total"] == 2
