"""Plan and results events, driven over REST: plan.approved, activity.concluded,
bulletin.issued, accountability.decided, rectification.opened / urged / due / accepted."""

from datetime import UTC, datetime

from activities.activity_helpers import run_on_site
from events_helpers import events, of, types
from planning.planning_helpers import activity_item, approve_plan, matter_item
from rectification.rectification_helpers import (
    drive_to_accepted,
    fire_due_timers,
    open_rectification,
)
from results.results_helpers import (
    decide_accountability,
    issue_bulletin,
    register_matter,
    run_until,
)


def test_an_approved_plan_is_an_event(matter_client):
    # seed 二(一): the annual plan, approved by the government's leader.
    client = matter_client
    plan = approve_plan(
        client,
        {
            "year": 2026,
            "title": "2026年度省政府督查计划",
            "basis": "围绕省政府中心工作安排全年督查",
            "items": [
                matter_item("重点任务落实", "320000-FGW"),
                activity_item("安全生产专项督查", ["320100-GOV"], "2026-04-01", "2026-05-31"),
            ],
        },
    )
    (approved,) = of(events(client, "admin"), "plan.approved")
    assert approved["plan_id"] == plan["id"] and approved["year"] == 2026
    assert approved["leader_unit"] == "320000-GOV" and approved["actor"] == "leader"
    # The plan's approval starts its matters: they are registered in the same transaction.
    assert "matter.registered" in types(events(client, "admin"))


def test_a_concluded_activity_reaches_its_target_units(matter_client):
    # 条例 Art. 16: the conclusion is delivered to the target units.
    client = matter_client
    state = run_on_site(client)
    (concluded,) = of(events(client, "admin"), "activity.concluded")
    assert concluded["activity_id"] == state["id"]
    assert concluded["target_units"] == state["target_units"]
    assert concluded["target_units"] == ["320000-FGW", "320000-ZJT"]
    # Its target units read it; a department it does not name does not.
    assert of(events(client, "fgw"), "activity.concluded") == [concluded]
    assert of(events(client, "jyt"), "activity.concluded") == []


def test_an_issued_bulletin_and_a_decided_accountability(matter_client):
    # 条例 Art. 21: a bulletin is issued, an accountability decided, after the leader approves.
    client = matter_client
    good = register_matter(client, "关于推进项目建设的批示")
    late = register_matter(client, "关于推进老旧小区改造的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    bulletin = issue_bulletin(
        client,
        {
            "title": "关于一季度督查事项落实情况的通报",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "body": "现将有关情况通报如下。",
            "entries": [
                {
                    "unit_code": "320000-ZJT",
                    "verdict": "criticise",
                    "reason": "超期未报送",
                    "matter_ids": [late["id"]],
                }
            ],
            "recipients": ["320100-GOV", "320000-ZJT"],
        },
    )
    case = decide_accountability(
        client,
        {
            "measure": "admonitory_talk",
            "unit_codes": ["320000-ZJT"],
            "persons": [{"name": "张某某", "post": "副厅长"}],
            "matter_ids": [late["id"]],
            "facts": "事项超期未办结，经督办仍未报送办理情况。",
            "basis": "实施意见三（三）",
            "proposal": "建议约谈主要负责同志。",
        },
    )
    found = events(client, "zjt")
    (issued,) = of(found, "bulletin.issued")
    assert issued["bulletin_id"] == bulletin["id"] and issued["doc_number"] == "苏督通〔2026〕1号"
    assert issued["recipients"] == ["320100-GOV", "320000-ZJT"]
    (decided,) = of(found, "accountability.decided")
    assert decided["case_id"] == case["id"] and decided["units"] == ["320000-ZJT"]
    assert "张某某" not in str(decided)  # persons stay in the case, out of the feed
    assert good["id"] not in str(of(found, "matter.registered"))  # FGW's matter: not ZJT's


def test_a_rectification_from_order_to_acceptance(matter_client):
    # seed 三(三): rectification within a deadline, urged when late, verified afterwards.
    client = matter_client
    rectification = open_rectification(client)
    fire_due_timers(client, datetime(2026, 3, 30, 2, 0, tzinfo=UTC))  # past the 18 days
    drive_to_accepted(client, rectification)
    found = events(client, "admin")
    (opened,) = of(found, "rectification.opened")
    assert opened["rectification_id"] == rectification["id"]
    assert sorted(opened["units"]) == ["320000-FGW", "320000-ZJT"]
    urged = of(found, "rectification.urged")
    assert {u["unit"] for u in urged} == {"320000-FGW", "320000-ZJT"}
    assert all(u["kind"] in ("remind", "urge", "escalate", "escalate_leader") for u in urged)
    assert all(u["notice"] for u in urged)
    assert {d["unit"] for d in of(found, "rectification.due")} == {"320000-FGW", "320000-ZJT"}
    accepted = of(found, "rectification.accepted")
    assert {a["unit"] for a in accepted} == {"320000-FGW", "320000-ZJT"}
    # Each unit sees its own part's events and the order, not the other unit's part.
    fgw = events(client, "fgw")
    assert {e["data"]["unit"] for e in fgw if e["type"] == "ducha.rectification.accepted"} == {
        "320000-FGW"
    }
