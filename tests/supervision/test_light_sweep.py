"""domain.md §7: lights follow the calendar even where the diagram has no timer — the
scheduler's light sweep turns an overdue co-operating unit's opinion red."""

from datetime import UTC, datetime, time, timedelta

from matter_helpers import API, as_, do, matter

from app.kit.clock import clock
from app.kit.timezone import CHINA


def test_the_sweep_turns_an_overdue_opinion_red_without_any_timer(matter_client):
    client = matter_client
    body = {
        "title": "关于优化营商环境的批示",
        "content": "请发改委牵头，住建厅配合。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "division_unit": "320000-GO-ZH1",
    }
    registered = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()
    mid = registered["id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "zjt", "sign_for", {"decision": "sign"})
    (opinion,) = [
        d
        for d in matter(client, mid)["deadlines"]
        if d["unit_code"] == "320000-ZJT" and d["kind"] == "co_report"
    ]
    due = datetime.fromisoformat(opinion["due"]).date()
    # The day after the opinion was due: no process step has happened since.
    clock.freeze(datetime.combine(due + timedelta(days=1), time(9), CHINA).astimezone(UTC))
    # The matter page reads the lights by the clock; the stored light (the list, its filters,
    # the dashboard's counts per light) waits for the sweep.
    assert matter(client, mid)["light"] == "red"
    assert _listed_light(client, mid) != "red"
    client.app.state.scheduler.run_chores()
    assert _listed_light(client, mid) == "red"
    swept = matter(client, mid)
    (opinion,) = [d for d in swept["deadlines"] if d["id"] == opinion["id"]]
    assert opinion["light"] == "red"
    assert swept["timeline"][-1]["event"] == "light_changed"
    # Running it again changes nothing more.
    client.app.state.scheduler.run_chores()
    assert len(matter(client, mid)["timeline"]) == len(swept["timeline"])


def _listed_light(client, mid: str) -> str:
    listed = client.get(f"{API}/matters", headers=as_(client, "office")).json()["items"]
    (found,) = [m for m in listed if m["id"] == mid]
    return found["light"]


def test_a_report_sent_back_after_its_due_date_repeats_no_notice(matter_client):
    # domain.md §7: one reminder per deadline, none once urged; one notice of a kind a day.
    client = matter_client
    body = {
        "title": "关于推进城市更新的批示",
        "content": "请发改委抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "division_unit": "320000-GO-ZH1",
    }
    registered = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()
    mid, instance = registered["id"], registered["instance_id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    jobs = client.get(
        f"{API}/jobs", params={"process_instance_id": instance}, headers=as_(client, "office")
    ).json()["items"]
    overdue = max(
        datetime.fromisoformat(j["due_at"].replace("Z", "+00:00"))
        for j in jobs
        if j["element_id"] == "final_overdue"
    )
    clock.freeze(overdue + timedelta(hours=1))
    client.app.state.scheduler.run_due()
    kinds = [u["kind"] for u in matter(client, mid)["urgings"]]
    assert kinds == ["remind", "urge"]
    do(client, "fgw", "submit_final_report", {"report": "办理情况", "finished": True})
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充"})
    client.app.state.scheduler.run_due()  # the re-armed timers are all past: they fire at once
    assert [u["kind"] for u in matter(client, mid)["urgings"]] == kinds
