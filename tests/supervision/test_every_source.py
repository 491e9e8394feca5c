"""seed 三(一), every source type driven through REST alone: registration, signing, a return and
re-assignment, reports, a yellow reminder and a red urging by moving the clock, an extension
approved and one refused, a rejected then accepted final report, closure, evaluation."""

from datetime import date, datetime, timedelta

import pytest
from matter_helpers import API, as_, do, inbox, matter, sign_with_a_return

from app.kit.clock import clock

SOURCES = [
    # (source type, category, extra registration fields)
    ("meeting", "meeting_document_policy", {}),
    ("document", "meeting_document_policy", {}),
    ("leader_instruction", "leader_instruction", {}),
    ("annual_key_work", "key_work", {}),
    ("npc_suggestion", "proposal", {}),
    ("cppcc_proposal", "proposal", {}),
    ("reform_deployment", "reform", {"explicit_due": "2026-05-29"}),
    ("major_decision", "reform", {"explicit_due": "2026-05-29"}),
    ("other", "efficiency", {"explicit_due": "2026-05-29"}),
]
JOINT = {"meeting", "document", "leader_instruction"}  # seed 二(二)


def _jobs(client, instance_id: str) -> dict[str, datetime]:
    items = client.get(
        f"{API}/jobs", params={"process_instance_id": instance_id}, headers=as_(client, "office")
    ).json()["items"]
    return {
        j["element_id"]: datetime.fromisoformat(j["due_at"].replace("Z", "+00:00")) for j in items
    }


def _fire(client, instance_id: str, element: str) -> None:
    """Move the clock just past one timer's due time and let the scheduler run."""
    clock.freeze(_jobs(client, instance_id)[element] + timedelta(minutes=1))
    client.app.state.scheduler.run_due()


def _extend(client, mid: str, due: str, requested: date) -> int:
    final = next(d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report")
    return client.post(
        f"{API}/matters/{mid}/extensions",
        headers=as_(client, "fgw"),
        json={
            "deadline_id": final["id"],
            "requested_due": requested.isoformat(),
            "reason": "需协调资金",
            "progress": "已完成前期工作",
        },
    )


@pytest.mark.parametrize(("source", "category", "extra"), SOURCES, ids=[s[0] for s in SOURCES])
def test_every_source_from_registration_to_closure(matter_client, source, category, extra):
    client = matter_client
    body = {
        "title": f"{source} 事项",
        "content": "内容",
        "category": category,
        "source_type": source,
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "division_unit": "320000-GO-ZH1",
        **extra,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    registered = response.json()
    mid, instance = registered["id"], registered["instance_id"]
    do(
        client,
        "office",
        "draft_plan",
        {
            "plan_title": "方案",
            "plan_content": "分工",
            "lead_unit": "320000-FGW",
            "joint": source in JOINT,
        },
    )
    if source in JOINT:
        do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    # A return and a re-assignment, then both units sign for their parts.
    sign_with_a_return(client)
    for _quarter in range(2 if source == "annual_key_work" else 0):
        do(client, "fgw", "report_progress", {"report": "季度进展", "percent": 50})
        do(client, "jyt", "report_progress", {"report": "季度进展", "percent": 50})
    do(client, "jyt", "report_to_lead", {"report": "配合意见"})
    # Yellow: the reminder fires when the warning window opens.
    _fire(client, instance, "final_warning")
    state = matter(client, mid)
    assert state["light"] == "yellow", state["deadlines"]
    assert state["urgings"][-1]["kind"] == "remind"
    # An extension before the deadline is approved: deadline and timers move.
    old_due = date.fromisoformat(state["final_due"])
    new_due = old_due + timedelta(days=14)
    filed = _extend(client, mid, state["final_due"], new_due)
    assert filed.status_code == 201, filed.text
    decided = client.post(
        f"{API}/matters/{mid}/extensions/{filed.json()['id']}/decision",
        json={"approve": True},
        headers=as_(client, "office"),
    ).json()
    assert decided["final_due"] == new_due.isoformat()
    assert "extension_approved" in [e["event"] for e in decided["timeline"]]  # in the answer
    # Red: past the new deadline an urging notice goes out; a request now is refused.
    _fire(client, instance, "final_overdue")
    state = matter(client, mid)
    assert state["light"] == "red" and state["urgings"][-1]["kind"] == "urge"
    refused = _extend(client, mid, state["final_due"], new_due + timedelta(days=30))
    assert refused.status_code == 422 and refused.json()["code"] == "deadline_passed"
    # A rejected, then an accepted final report; evaluation; closure.
    do(client, "fgw", "submit_final_report", {"report": "办理情况", "finished": True})
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充"})
    do(client, "fgw", "submit_final_report", {"report": "补充后的办理情况", "finished": True})
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
    if category == "proposal":
        do(client, "office", "record_satisfaction", {"satisfaction": "satisfied"})
    state = matter(client, mid)
    assert state["status"] == "closed" and inbox(client, "fgw") == []
    final = next(d for d in state["deadlines"] if d["kind"] == "final_report")
    assert (final["original_due"], final["outcome"]) == (old_due.isoformat(), "late")
    assert {
        a["unit_code"]: a["timeliness"] for a in state["assignments"] if a["receipt"] == "signed"
    } == {"320000-FGW": "fair", "320000-JYT": "good"}
    events = [t["event"] for t in state["timeline"]]
    for expected in (
        "registered",
        "returned",
        "reassigned",
        "signed_for",
        "remind",
        "extension_approved",
        "urge",
        "sent_back",
        "accepted",
        "evaluated",
        "closed",
    ):
        assert expected in events, expected
