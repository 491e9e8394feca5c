"""domain.md §7: one light per deadline. A task that serves a matter's deadline (sign for, final
report) shows the light of that deadline, and the matter page, the list and the dashboard say
the same — at 3 working days before the due day, on it, past it and far ahead of it."""

from datetime import UTC, date, datetime

from matter_helpers import API, as_, do, inbox, matter

from app.kit.clock import clock
from app.supervision.lights import Light, deadline_light, due_day, task_light

BODY = {
    "title": "关于推进城市更新的批示",
    "content": "请发改委抓紧落实。",
    "category": "leader_instruction",
    "source_type": "leader_instruction",
    "lead_unit": "320000-FGW",
    "division_unit": "320000-GO-ZH1",
}


def _at(day: str, hour: int = 9) -> None:
    """Stop the clock at `hour` o'clock China time on `day`."""
    clock.freeze(datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC))


def _lights(client, mid: str, element: str, kind: str) -> tuple[str, str, str]:
    """(the unit's task, the matter's deadline of that kind, the matter) lights, read over REST."""
    (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == element]
    state = matter(client, mid)
    (deadline,) = [d for d in state["deadlines"] if d["kind"] == kind]
    due_at = datetime.fromisoformat(task["due_at"].replace("Z", "+00:00"))
    assert due_day(due_at).isoformat() == deadline["due"]  # the task serves this deadline
    return task["light"], deadline["light"], state["light"]


def _overdue_count(client) -> int:
    stats = client.get(
        f"{API}/console/matter-stats", params={"group_by": "status"}, headers=as_(client, "office")
    ).json()
    return sum(g["overdue"] for g in stats["groups"])


def test_a_task_and_its_matter_show_one_light(matter_client):
    client = matter_client  # 2026-03-02, a Monday
    created = client.post(f"{API}/matters", json=BODY, headers=as_(client, "office"))
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    (sign_for,) = [d for d in matter(client, mid)["deadlines"] if d["kind"] == "sign_for"]
    assert sign_for["due"] == "2026-03-05"  # 3 working days after 2 March (practice, §5)

    # 3 working days before the sign-for deadline: yellow everywhere, stored from registration.
    assert _lights(client, mid, "sign_for", "sign_for") == ("yellow",) * 3
    listed = client.get(
        f"{API}/matters", params={"light": "yellow"}, headers=as_(client, "office")
    ).json()
    assert [m["id"] for m in listed["items"]] == [mid]
    assert _overdue_count(client) == 0

    _at("2026-03-05", 17)  # the due day itself: still yellow, not red
    assert _lights(client, mid, "sign_for", "sign_for") == ("yellow",) * 3
    assert _overdue_count(client) == 0

    _at("2026-03-06")  # past due: red on the task, the deadline, the matter and the dashboard
    assert _lights(client, mid, "sign_for", "sign_for") == ("red",) * 3
    assert _overdue_count(client) == 1
    for who in ("office", "fgw"):  # everything in scope; one unit's open matters
        overdue = client.get(
            f"{API}/matters", params={"overdue": True}, headers=as_(client, who)
        ).json()
        assert [m["id"] for m in overdue["items"]] == [mid], who

    do(client, "fgw", "sign_for", {"decision": "sign"})  # late; the final report is far ahead
    assert _lights(client, mid, "submit_final_report", "final_report") == ("green",) * 3
    assert _overdue_count(client) == 0

    # seed 三(一): 30 days → due 1 April (Wednesday); its window opens on Friday 27 March.
    _at("2026-03-26")
    assert _lights(client, mid, "submit_final_report", "final_report") == ("green",) * 3
    _at("2026-03-27")
    assert _lights(client, mid, "submit_final_report", "final_report") == ("yellow",) * 3
    _at("2026-04-01", 23)
    assert _lights(client, mid, "submit_final_report", "final_report") == ("yellow",) * 3
    _at("2026-04-02", 0)
    assert _lights(client, mid, "submit_final_report", "final_report") == ("red",) * 3
    assert _overdue_count(client) == 1


def test_the_one_rule_on_a_table():
    # domain.md §7: red past due and not done; yellow within DUCHA_WARNING_WINDOW_DAYS (3) working
    # days; green otherwise and once done. 2026-10-01…07 are National Day holidays, so the three
    # working days before Friday 9 October begin on 29 September.
    due = date(2026, 10, 9)
    for today, done_on, expected in [
        (date(2026, 9, 1), None, Light.GREEN),  # far ahead
        (date(2026, 9, 28), None, Light.GREEN),
        (date(2026, 9, 29), None, Light.YELLOW),  # 3 working days before
        (date(2026, 10, 9), None, Light.YELLOW),  # 0 days: the due day is still on time
        (date(2026, 10, 10), None, Light.RED),  # past due
        (date(2026, 10, 10), date(2026, 10, 9), Light.GREEN),  # done
        (date(2026, 10, 20), date(2026, 10, 12), Light.GREEN),  # done late: closed, no light
    ]:
        assert deadline_light(due, done_on, today) == expected, today


def test_a_tasks_due_instant_falls_on_its_deadlines_day():
    # A date-only dueDate ends the day (23:59:59); a timer instant at midnight opens the next
    # day (`at(due + 1)`): both fall on the deadline's own due day.
    china = "+08:00"
    assert due_day(datetime.fromisoformat(f"2026-10-09T23:59:59{china}")) == date(2026, 10, 9)
    assert due_day(datetime.fromisoformat(f"2026-10-10T00:00:00{china}")) == date(2026, 10, 9)
    assert due_day(datetime.fromisoformat(f"2026-10-09T17:00:00{china}")) == date(2026, 10, 9)
    midnight = datetime.fromisoformat(f"2026-10-10T00:00:00{china}")
    assert task_light(midnight, datetime.fromisoformat(f"2026-10-09T20:00:00{china}")) == "yellow"
    assert task_light(midnight, datetime.fromisoformat(f"2026-10-10T00:00:01{china}")) == "red"
