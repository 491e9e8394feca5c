"""domain.md §5: a year without a published holiday schedule is provisional — its statutory
holidays by the national rules rest, make-up working days are unknown — and the deadlines decided
on it are flagged `calendar_basis: "provisional"`; loading the year's schedule computes the open
ones again: due days move, their timers with them, the flag clears, the timeline says so."""

from datetime import UTC, datetime

import pytest
from conftest import login
from matter_helpers import API, as_, do, matter

from app.kit.clock import clock
from app.supervision.calendar import default_calendar

# A made-up 2027 schedule for this test only — NOT the State Council's notice (unpublished):
# Spring Festival 5–11 February, and Saturday 13 February a make-up working day (调休上班).
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 12))],
    "workdays": ["2027-02-13"],
    "source": "测试用放假安排（非官方）",
}


@pytest.fixture
def forget_2027():
    yield
    default_calendar()._loaded.pop(2027, None)  # the calendar is process-wide


def _at(day: str) -> None:
    clock.freeze(datetime.fromisoformat(f"{day}T09:00:00+08:00").astimezone(UTC))


def _register(client, source_type: str, category: str) -> dict:
    body = {
        "title": f"{source_type} 事项",
        "content": "内容",
        "category": category,
        "source_type": source_type,
        "lead_unit": "320000-FGW",
        "division_unit": "320000-GO-ZH1",
    }
    created = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert created.status_code == 201, created.text
    return created.json()


def _final(client, mid: str) -> dict:
    (final,) = [d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report"]
    return final


def _jobs(client, instance_id: str) -> dict[str, str]:
    items = client.get(
        f"{API}/jobs", params={"process_instance_id": instance_id}, headers=as_(client, "admin")
    ).json()["items"]
    return {
        j["element_id"]: datetime.fromisoformat(j["due_at"].replace("Z", "+00:00"))
        .astimezone(datetime.fromisoformat("2027-01-01T00:00:00+08:00").tzinfo)
        .isoformat()
        for j in items
    }


def test_a_provisional_deadline_is_computed_again_when_the_year_is_loaded(
    matter_client, forget_2027
):
    client = matter_client
    # seed 三(一): an NPC suggestion assigned 6 November 2026, answered within 3 months: the
    # period ends on Saturday 6 February 2027 — in the Spring Festival (eve 5th to 3rd day 8th).
    _at("2026-11-06")
    npc = _register(client, "npc_suggestion", "proposal")
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    reply = _final(client, npc["id"])
    assert (reply["due"], reply["rolled_from"], reply["calendar_basis"]) == (
        "2027-02-09",  # not 8 February, as weekends only would have it
        "2027-02-06",
        "provisional",
    )
    jobs = _jobs(client, npc["instance_id"])
    assert jobs["final_overdue"] == "2027-02-10T00:00:00+08:00"
    # seed 三(一): a leader's instruction assigned 2 December, 30 days: 1 January 2027, New
    # Year's Day (a Friday) → Monday 4 January.
    _at("2026-12-02")
    instruction = _register(client, "leader_instruction", "leader_instruction")
    final = _final(client, instruction["id"])
    assert (final["due"], final["rolled_from"], final["calendar_basis"]) == (
        "2027-01-04",
        "2027-01-01",
        "provisional",
    )
    (sign_for,) = [
        d for d in matter(client, instruction["id"])["deadlines"] if d["kind"] == "sign_for"
    ]
    assert sign_for["calendar_basis"] != "provisional"  # 7 December 2026: a published year

    # The State Council publishes; an admin loads the year.
    _at("2026-12-10")
    admin = login(client, sub="root", unit="320000-GO", roles=["admin"])
    loaded = client.put(f"{API}/calendar/years/2027", json=SCHEDULE_2027, headers=admin)
    assert loaded.status_code == 200, loaded.text

    state = matter(client, npc["id"])
    reply = _final(client, npc["id"])
    assert (reply["due"], reply["rolled_from"], reply["calendar_basis"]) == (
        "2027-02-12",  # past the whole published holiday
        "2027-02-06",
        "loaded",
    )
    assert "顺延至2027-02-12" in reply["rule"] and "2027-02-09" not in reply["rule"]
    assert state["final_due"] == "2027-02-12"
    entry = state["timeline"][-1]
    assert entry["event"] == "deadlines_recomputed" and entry["actor"] == "root"
    assert "2027-02-09 → 2027-02-12" in entry["summary"]
    # The timers moved with the deadline: red the day after, 督办 after 5 working days — the
    # make-up Saturday counts (without it, 19 February).
    jobs = _jobs(client, npc["instance_id"])
    assert jobs["final_overdue"] == "2027-02-13T00:00:00+08:00"
    assert jobs["final_escalation"] == "2027-02-18T09:00:00+08:00"

    final = _final(client, instruction["id"])
    assert (final["due"], final["calendar_basis"]) == ("2027-01-04", "loaded")  # confirmed
    events = [e["event"] for e in matter(client, instruction["id"])["timeline"]]
    assert "deadlines_recomputed" in events
    (sign_for,) = [
        d for d in matter(client, instruction["id"])["deadlines"] if d["kind"] == "sign_for"
    ]
    assert sign_for["due"] == "2026-12-07" and sign_for["calendar_basis"] != "provisional"
