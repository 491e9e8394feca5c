"""Each source type of seed 三(一) through REST: its deadlines, its reports, extensions, urging."""

from datetime import UTC, datetime

import pytest
from conftest import login
from matter_helpers import API, as_, do, fire_due_timers, inbox, matter, open_flags

BASE = {"title": "测试事项", "content": "内容", "lead_unit": "320000-FGW"}


def register(client, **body) -> dict:
    response = client.post(f"{API}/matters", json={**BASE, **body}, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def plan(client, joint: bool) -> None:
    do(
        client,
        "office",
        "draft_plan",
        {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": joint},
    )
    if joint:
        do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})


@pytest.mark.parametrize(
    ("source", "category", "extra", "expected"),
    [
        # seed 三(一): important meetings and documents, report within 30 days.
        ("meeting", "meeting_document_policy", {}, ["2026-04-01"]),
        ("document", "meeting_document_policy", {}, ["2026-04-01"]),
        # seed 三(一): leader instruction, finish and report within 30 days.
        ("leader_instruction", "leader_instruction", {}, ["2026-04-01"]),
        # seed 三(一): annual key work, before 15 July, 15 October and 15 January.
        ("annual_key_work", "key_work", {}, ["2026-07-15", "2026-10-15", "2027-01-15"]),
        # seed 三(一): NPC suggestions / CPPCC proposals, answer within 3 months.
        ("npc_suggestion", "proposal", {}, ["2026-06-02"]),
        ("npc_suggestion", "proposal", {"complex_npc": True}, ["2026-09-02"]),
        ("cppcc_proposal", "proposal", {}, ["2026-06-02"]),
        # seed 三(一): major decisions report by the deadline the decision sets.
        ("major_decision", "reform", {"explicit_due": "2026-05-20"}, ["2026-05-20"]),
        ("reform_deployment", "reform", {"explicit_due": "2026-06-30"}, ["2026-06-30"]),
        ("other", "efficiency", {"explicit_due": "2026-04-10"}, ["2026-04-10"]),
    ],
)
def test_registration_computes_the_source_deadlines(
    matter_client, source, category, extra, expected
):
    registered = register(
        matter_client, source_type=source, category=category, division_unit="320000-GO-ZH1", **extra
    )
    lead = [
        d
        for d in registered["deadlines"]
        if d["unit_code"] == "320000-FGW" and d["kind"] != "sign_for"
    ]
    assert [d["due"] for d in lead] == expected
    assert registered["final_due"] == expected[-1]


def test_a_deadline_is_required_where_the_source_sets_none(matter_client):
    body = {**BASE, "source_type": "major_decision", "category": "reform"}
    response = matter_client.post(f"{API}/matters", json=body, headers=as_(matter_client, "office"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "explicit_due"
    assert (
        matter_client.get(f"{API}/matters", headers=as_(matter_client, "office")).json()["total"]
        == 0
    )


def test_extension_approved_moves_the_deadline_and_its_timers(matter_client):
    client = matter_client
    registered = register(
        client,
        source_type="meeting",
        category="meeting_document_policy",
        division_unit="320000-GO-ZH1",
    )
    mid = registered["id"]
    plan(client, joint=True)
    do(client, "fgw", "sign_for", {"decision": "sign"})
    final = next(d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report")
    request = {
        "deadline_id": final["id"],
        "requested_due": "2026-04-15",
        "reason": "项目审批尚需时日",
        "progress": "已完成方案编制",
    }
    # Only the unit that owes the report may ask.
    assert (
        client.post(
            f"{API}/matters/{mid}/extensions", json=request, headers=as_(client, "zjt")
        ).status_code
        == 404
    )
    filed = client.post(f"{API}/matters/{mid}/extensions", json=request, headers=as_(client, "fgw"))
    assert filed.status_code == 201, filed.text
    decided = client.post(
        f"{API}/matters/{mid}/extensions/{filed.json()['id']}/decision",
        json={"approve": True},
        headers=as_(client, "office"),
    )
    assert decided.status_code == 200, decided.text
    state = decided.json()
    final = next(d for d in state["deadlines"] if d["kind"] == "final_report")
    assert (final["due"], final["original_due"]) == ("2026-04-15", "2026-04-01")
    assert state["final_due"] == "2026-04-15"
    (report_task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "submit_final_report"]
    assert report_task["due_at"].startswith("2026-04-15T15:59:59")
    jobs = client.get(
        f"{API}/jobs",
        params={"process_instance_id": state["instance_id"]},
        headers=as_(client, "office"),
    ).json()["items"]
    dues = {j["element_id"]: j["due_at"] for j in jobs}
    assert dues["final_overdue"].startswith("2026-04-15T16:00:00")  # 16 April 00:00 China
    # The old dates pass quietly; the new ones still urge.
    fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    assert matter(client, mid)["urgings"] == []
    # A request on or after the deadline is refused (seed 三(一): report reasons before it).
    fire_due_timers(client, datetime(2026, 4, 16, 1, 0, tzinfo=UTC))
    late = {**request, "requested_due": "2026-05-01"}
    refused = client.post(f"{API}/matters/{mid}/extensions", json=late, headers=as_(client, "fgw"))
    assert refused.status_code == 422 and refused.json()["code"] == "deadline_passed"
    state = matter(client, mid)
    assert state["light"] == "red"
    assert [u["kind"] for u in state["urgings"]] == ["remind", "urge"]


def test_extension_rejected_keeps_the_deadline(matter_client):
    client = matter_client
    mid = register(
        client,
        source_type="leader_instruction",
        category="leader_instruction",
        division_unit="320000-GO-ZH1",
    )["id"]
    plan(client, joint=True)
    do(client, "fgw", "sign_for", {"decision": "sign"})
    final = next(d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report")
    filed = client.post(
        f"{API}/matters/{mid}/extensions",
        headers=as_(client, "fgw"),
        json={
            "deadline_id": final["id"],
            "requested_due": "2026-05-01",
            "reason": "理由",
            "progress": "进展",
        },
    ).json()
    state = client.post(
        f"{API}/matters/{mid}/extensions/{filed['id']}/decision",
        json={"approve": False, "comment": "时限不变"},
        headers=as_(client, "office"),
    ).json()
    assert state["extensions"][0]["status"] == "rejected"
    assert next(d for d in state["deadlines"] if d["kind"] == "final_report")["due"] == "2026-04-01"
    again = client.post(
        f"{API}/matters/{mid}/extensions/{filed['id']}/decision",
        json={"approve": True},
        headers=as_(client, "office"),
    )
    assert again.status_code == 409


def test_annual_key_work_reports_each_quarter_and_is_urged_when_late(matter_client):
    client = matter_client
    mid = register(client, source_type="annual_key_work", category="key_work")["id"]
    plan(client, joint=False)
    do(client, "fgw", "sign_for", {"decision": "sign"})
    # The July report is late: reminded in the window, urged the day after.
    fire_due_timers(client, datetime(2026, 7, 10, 2, 0, tzinfo=UTC))
    fire_due_timers(client, datetime(2026, 7, 16, 1, 0, tzinfo=UTC))
    state = matter(client, mid)
    assert [u["kind"] for u in state["urgings"]] == ["remind", "urge"]
    assert state["light"] == "red"
    do(client, "fgw", "report_progress", {"report": "上半年进展", "percent": 40})
    state = matter(client, mid)
    july = next(d for d in state["deadlines"] if d["due"] == "2026-07-15")
    assert (july["outcome"], july["days_late"]) == ("late", 1)
    assert state["light"] == "green"
    do(client, "fgw", "report_progress", {"report": "三季度进展", "percent": 75})
    state = matter(client, mid)
    october = next(d for d in state["deadlines"] if d["due"] == "2026-10-15")
    assert october["outcome"] == "on_time"
    do(client, "fgw", "submit_final_report", {"report": "全年完成", "finished": True})
    assert [r["kind"] for r in matter(client, mid)["reports"]] == ["progress", "progress", "final"]


def test_an_unsatisfied_proposer_reopens_the_handling_once(matter_client):
    client = matter_client
    mid = register(client, source_type="npc_suggestion", category="proposal")["id"]
    plan(client, joint=False)
    do(client, "fgw", "sign_for", {"decision": "sign"})

    def answer_and_close(satisfaction: str) -> None:
        do(client, "fgw", "submit_final_report", {"report": "答复", "finished": True, "grade": "A"})
        do(client, "office", "review_report", {"decision": "accept"})
        do(
            client,
            "office",
            "evaluate_units",
            {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]},
        )
        do(client, "office", "record_satisfaction", {"satisfaction": satisfaction})

    answer_and_close("dissatisfied")
    state = matter(client, mid)
    assert state["status"] == "handling" and state["satisfaction"] == "dissatisfied"
    assert [t["element_id"] for t in state["ready_tasks"]] == ["submit_final_report"]
    # Dissatisfied again: the handling is not reopened a second time.
    answer_and_close("dissatisfied")
    state = matter(client, mid)
    assert state["status"] == "closed" and state["ready_tasks"] == []


def test_the_matter_list_filters(matter_client):
    client = matter_client
    register(
        client, source_type="npc_suggestion", category="proposal", title="关于增加公交线路的建议"
    )
    register(
        client,
        source_type="cppcc_proposal",
        category="proposal",
        lead_unit="320100-FGW",
        title="关于老旧小区改造的提案",
    )
    office = as_(client, "office")

    def titles(**params) -> set[str]:
        items = client.get(f"{API}/matters", params=params, headers=office).json()["items"]
        return {m["title"] for m in items}

    assert titles() == {"关于增加公交线路的建议", "关于老旧小区改造的提案"}
    assert titles(source_type="cppcc_proposal") == {"关于老旧小区改造的提案"}
    assert titles(unit="320100-GOV") == {"关于老旧小区改造的提案"}  # units below included
    assert titles(q="公交") == {"关于增加公交线路的建议"}
    assert titles(light="red") == set()
    assert titles(due_before="2026-06-03") == titles()
    assert titles(status="planning") == titles() and titles(status="closed") == set()
    bad = client.get(f"{API}/matters", params={"status": "done"}, headers=office)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"
    # A unit sees only matters assigned to it; a sibling sees none.
    fgw = client.get(f"{API}/matters", headers=as_(client, "fgw")).json()["items"]
    assert [m["title"] for m in fgw] == ["关于增加公交线路的建议"]
    assert client.get(f"{API}/matters", headers=as_(client, "zjt")).json()["total"] == 0


def test_a_city_decomposes_a_matter_and_the_parent_waits_for_it(matter_client):
    """seed 二(四): three levels — a city's office decomposes the province's matter."""
    client = matter_client
    parent = register(
        client,
        source_type="npc_suggestion",
        category="proposal",
        lead_unit="320100-GOV",
        title="关于加强城市内涝治理的建议",
    )
    city_office = login(client, sub="zheng", unit="320100-DCS", roles=["supervision_office"])
    child_body = {
        **BASE,
        "title": "玄武区内涝点改造",
        "source_type": "npc_suggestion",
        "category": "proposal",
        "lead_unit": "320102-FGJ",
        "parent_id": parent["id"],
    }
    child = client.post(f"{API}/matters", json=child_body, headers=city_office)
    assert child.status_code == 201, child.text
    # A county cannot decompose what it cannot see.
    county = login(client, sub="x", unit="320102-DCS", roles=["supervision_office"])
    other = {**child_body, "lead_unit": "320102-FGJ"}
    assert client.post(f"{API}/matters", json=other, headers=county).status_code == 404
    state = matter(client, parent["id"])
    assert [c["title"] for c in state["sub_matters"]] == ["玄武区内涝点改造"]
    # The province's office sees the sub-matter too; the city's sees only its own subtree.
    assert (
        client.get(f"{API}/matters/{child.json()['id']}", headers=as_(client, "office")).status_code
        == 200
    )
    # The city plans and assigns it; the district's department signs for it; then it runs late.
    city_head = login(client, sub="zhu", unit="320100-DCS", roles=["office_head"])
    district = login(client, sub="feng", unit="320102-FGJ", roles=["unit_handler"])
    for headers, element, variables in [
        (
            city_office,
            "draft_plan",
            {
                "plan_title": "方案",
                "plan_content": "分工",
                "lead_unit": "320102-FGJ",
                "joint": False,
            },
        ),
        (city_head, "approve_plan", {"decision": "approve"}),
        (district, "sign_for", {"decision": "sign"}),
    ]:
        tasks = client.get(f"{API}/tasks", params={"mine": True}, headers=headers).json()["items"]
        (task,) = [t for t in tasks if t["element_id"] == element]
        done = client.post(
            f"{API}/tasks/{task['id']}/complete", json={"variables": variables}, headers=headers
        )
        assert done.status_code == 200, done.text
    fire_due_timers(client, datetime(2026, 6, 3, 1, 0, tzinfo=UTC))
    state = matter(client, parent["id"])
    assert state["rolled_up_light"] == "red"
    # The parent cannot close over an open sub-matter unless the office gives a reason.
    city_gov = login(client, sub="gov", unit="320100-GOV", roles=["unit_handler"])
    plan(client, joint=False)
    for element, variables in [
        ("sign_for", {"decision": "sign"}),
        ("submit_final_report", {"report": "答复", "finished": True}),
    ]:
        tasks = client.get(f"{API}/tasks", params={"mine": True}, headers=city_gov).json()["items"]
        (task,) = [t for t in tasks if t["element_id"] == element]
        assert (
            client.post(
                f"{API}/tasks/{task['id']}/complete",
                json={"variables": variables},
                headers=city_gov,
            ).status_code
            == 200
        )
    (review,) = [t for t in inbox(client, "office") if t["element_id"] == "review_report"]
    refused = client.post(
        f"{API}/tasks/{review['id']}/complete",
        json={"variables": {"decision": "accept"}},
        headers=as_(client, "office"),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "sub_matters_open"
    assert matter(client, parent["id"])["status"] == "reviewing"  # nothing changed
    do(
        client,
        "office",
        "review_report",
        {"decision": "accept", "close_reason": "区级整改已落实，转常态化"},
    )
    assert matter(client, parent["id"])["status"] == "evaluating"


def test_look_back_at_a_closed_matter_reopens_it_when_the_check_fails(matter_client):
    """seed 四(一): 回头看 — re-check a closed matter; a failed check reopens the handling."""
    client = matter_client
    mid = register(
        client, source_type="major_decision", category="reform", explicit_due="2026-04-30"
    )["id"]
    early = client.post(f"{API}/matters/{mid}/look-back", json={}, headers=as_(client, "office"))
    assert early.status_code == 409 and early.json()["code"] == "matter_not_closed"
    plan(client, joint=False)
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]},
    )
    assert matter(client, mid)["status"] == "closed"
    # The units reading it hold it as closed (their open matters' index leaves it out) …
    assert open_flags(client, mid) == {False}
    scheduled = client.post(
        f"{API}/matters/{mid}/look-back", json={"check_days": 10}, headers=as_(client, "office")
    )
    assert scheduled.status_code == 201, scheduled.text
    do(
        client,
        "office",
        "verify_implementation",
        {"result": "failed", "findings": "群众反映问题未解决"},
    )
    state = matter(client, mid)
    assert state["status"] == "handling"
    assert open_flags(client, mid) == {True}  # … open again when it reopens …
    (rectify,) = [d for d in state["deadlines"] if d["kind"] == "look_back_report"]
    assert rectify["due"] == "2026-04-11"  # 2 March + 10 days, + 30 days
    do(client, "fgw", "rectify_and_report", {"report": "已整改", "finished": True})
    do(client, "office", "review_rectification", {"decision": "accept"})
    state = matter(client, mid)
    assert state["status"] == "closed"
    assert open_flags(client, mid) == {False}  # … and closed with it
    events = [t["event"] for t in state["timeline"]]
    assert events.count("closed") == 2 and "reopened" in events


def test_a_passed_look_back_ends_at_look_back_passed_and_the_timeline_says_so(matter_client):
    """seed 四(一): 回头看 — the end event `look_back_passed` writes the timeline entry, once."""
    client = matter_client
    mid = register(
        client, source_type="major_decision", category="reform", explicit_due="2026-04-30"
    )["id"]
    plan(client, joint=False)
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]},
    )
    scheduled = client.post(
        f"{API}/matters/{mid}/look-back", json={"check_days": 10}, headers=as_(client, "office")
    )
    assert scheduled.status_code == 201, scheduled.text
    do(client, "office", "verify_implementation", {"result": "passed", "findings": "已落实"})
    state = matter(client, mid)
    assert state["status"] == "closed"
    passed = [t for t in state["timeline"] if t["event"] == "look_back_passed"]
    assert [t["summary"] for t in passed] == ["回头看：落实到位。已落实"]
    assert not [d for d in state["deadlines"] if d["kind"] == "look_back_report"]
