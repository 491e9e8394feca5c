"""A matter driven through REST alone: register, plan, sign for, return and re-assign, report,
remind and urge by moving the clock, review rejected then accepted, evaluate, close."""

from datetime import UTC, datetime

from matter_helpers import API, as_, do, fire_due_timers, inbox, matter, sign_with_a_return


def test_leader_instruction_from_registration_to_closure(matter_client):
    client = matter_client
    body = {
        "title": "关于加快推进城市更新项目的批示",
        "content": "请发改委牵头，住建厅配合，抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "source_ref": "省长批示〔2026〕12号",
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "division_unit": "320000-GO-ZH1",
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    registered = response.json()
    mid = registered["id"]
    # seed 三(一): leader instruction, finish and report within 30 days (2 March → 1 April).
    finals = [d for d in registered["deadlines"] if d["kind"] == "final_report"]
    assert [(d["due"], d["unit_code"]) for d in finals] == [("2026-04-01", "320000-FGW")]
    assert "三(一)" in finals[0]["rule"] and finals[0]["basis"] == "calendar"
    # domain.md §5: a unit objects within 3 working days (2 March, Monday → 5 March).
    signs = {d["unit_code"]: d["due"] for d in registered["deadlines"] if d["kind"] == "sign_for"}
    assert signs == {"320000-FGW": "2026-03-05", "320000-ZJT": "2026-03-05"}
    assert registered["code"] == "DC-2026-0001" and registered["status"] == "planning"
    assert [t["element_id"] for t in registered["ready_tasks"]] == ["draft_plan"]

    # seed 二(二): a leader's instruction is planned jointly with the business division.
    plan = {
        "plan_title": body["title"],
        "plan_content": "分工",
        "lead_unit": "320000-FGW",
        "joint": True,
    }
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    assert {t["element_id"] for t in inbox(client, "fgw")} == {"sign_for"}

    # A return and a re-assignment, then both units sign for their parts.
    sign_with_a_return(client)
    state = matter(client, mid)
    receipts = {(a["unit_code"], a["receipt"]) for a in state["assignments"]}
    assert receipts == {
        ("320000-FGW", "signed"),
        ("320000-ZJT", "reassigned"),
        ("320000-JYT", "signed"),
    }
    assert state["status"] == "handling" and state["co_units"] == ["320000-JYT"]
    do(client, "jyt", "report_to_lead", {"report": "配合意见：已完成摸底", "percent": 50})

    # The yellow window opens 3 working days before 1 April (Friday 27 March).
    fire_due_timers(client, datetime(2026, 3, 27, 2, 0, tzinfo=UTC))
    state = matter(client, mid)
    assert state["light"] == "yellow"
    assert [u["kind"] for u in state["urgings"]] == ["remind"]
    # Past due: an urging notice (催办) and a red light.
    fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    state = matter(client, mid)
    assert state["light"] == "red"
    assert [u["kind"] for u in state["urgings"]] == ["remind", "urge"]
    assert "催办通知" in state["urgings"][1]["notice"]

    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    state = matter(client, mid)
    final = next(d for d in state["deadlines"] if d["kind"] == "final_report")
    assert (final["outcome"], final["days_late"]) == ("late", 1)
    assert state["status"] == "reviewing"
    # Rejected with comments: back to the lead unit, the deadline kept.
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充资金落实情况"})
    state = matter(client, mid)
    assert state["status"] == "handling"
    assert next(d for d in state["deadlines"] if d["kind"] == "final_report")["due"] == "2026-04-01"
    do(client, "fgw", "submit_final_report", {"report": "已补充", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {
            "evaluations": [
                {"unit": "320000-FGW", "timeliness": "fair", "quality": "good"},
                {"unit": "320000-JYT", "timeliness": "good", "quality": "good"},
            ]
        },
    )
    state = matter(client, mid)
    assert state["status"] == "closed" and state["ready_tasks"] == []
    events = [t["event"] for t in state["timeline"]]
    for expected in (
        "registered",
        "returned",
        "reassigned",
        "signed_for",
        "remind",
        "urge",
        "sent_back",
        "accepted",
        "evaluated",
        "closed",
    ):
        assert expected in events, expected


def test_a_red_matter_escalates_to_the_unit_head_then_the_leader(matter_client):
    """domain.md §7: still red after 5 working days → 督办 to the unit head; after 10 → the
    leader in charge (windows configurable)."""
    client = matter_client
    body = {
        "title": "关于整治违规占道的批示",
        "content": "请住建厅落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "joint": False,
    }
    mid = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()["id"]
    do(
        client,
        "office",
        "draft_plan",
        {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False},
    )
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    # Due 1 April; 5 working days later is 9 April, 10 working days later 16 April.
    fire_due_timers(client, datetime(2026, 4, 9, 2, 0, tzinfo=UTC))
    kinds = [u["kind"] for u in matter(client, mid)["urgings"]]
    assert kinds == ["remind", "urge", "escalate"]
    fire_due_timers(client, datetime(2026, 4, 16, 2, 0, tzinfo=UTC))
    urgings = matter(client, mid)["urgings"]
    assert [u["kind"] for u in urgings] == ["remind", "urge", "escalate", "escalate_leader"]
    assert "分管领导" in urgings[-1]["notice"] and "10个工作日" in urgings[-1]["notice"]
    # Once reported, nothing more fires.
    do(client, "fgw", "submit_final_report", {"report": "已办结", "finished": True})
    fire_due_timers(client, datetime(2026, 5, 30, 2, 0, tzinfo=UTC))
    assert len(matter(client, mid)["urgings"]) == 4
