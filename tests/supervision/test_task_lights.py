"""domain.md §7 on the inbox: each open task with a due date has a light by the same rule as the
matter's obligations — green, yellow inside the warning window (3 working days), red once due."""

from datetime import datetime, timedelta

from matter_helpers import API, as_, do, inbox

from app.kit.clock import clock
from app.supervision.lights import task_light


def test_a_tasks_light_follows_its_due_date(matter_client):
    client = matter_client
    body = {
        "title": "关于推进城市更新的批示",
        "content": "请发改委抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "division_unit": "320000-GO-ZH1",
    }
    assert (
        client.post(f"{API}/matters", json=body, headers=as_(client, "office")).status_code == 201
    )
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})

    def report_task() -> dict:
        (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "submit_final_report"]
        return task

    task = report_task()
    due = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
    assert task["light"] == "green"  # seed 三(一): 30 days ahead
    clock.freeze(due - timedelta(hours=2))
    assert report_task()["light"] == "yellow"
    detail = client.get(f"{API}/tasks/{task['id']}", headers=as_(client, "fgw")).json()
    assert detail["light"] == "yellow"
    clock.freeze(due + timedelta(seconds=1))  # the next day: past the due day
    assert report_task()["light"] == "red"
    done = client.get(
        f"{API}/tasks", params={"state": "completed"}, headers=as_(client, "office")
    ).json()["items"]
    assert done and all(t["light"] is None for t in done)


def test_the_rule_counts_working_days():
    # 2026-10-01…07 are National Day holidays: the 3 working days before Friday 9 October begin
    # on 29 September, not on 6 October as calendar days would have it.
    due = datetime.fromisoformat("2026-10-09T17:00:00+08:00")
    assert task_light(due, datetime.fromisoformat("2026-09-28T09:00:00+08:00")) == "green"
    assert task_light(due, datetime.fromisoformat("2026-09-29T09:00:00+08:00")) == "yellow"
    # domain.md §7: red past the due *day*, as the matter's deadline — not at 17:00:01.
    assert task_light(due, datetime.fromisoformat("2026-10-09T17:00:01+08:00")) == "yellow"
    assert task_light(due, datetime.fromisoformat("2026-10-10T00:00:01+08:00")) == "red"
