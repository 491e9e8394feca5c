"""Every step of a matter, driven over REST, is an event in the feed — and only committed ones.

Issue 8: events are written to the outbox in the transaction of the change (an event exists if
and only if its change committed) and carry the unit scope of what they describe.
"""

from datetime import UTC, datetime

from events_helpers import cursor_now, events, of, page, types
from supervision.matter_helpers import API, as_, do, fire_due_timers, inbox, matter

BODY = {
    "title": "关于加快推进城市更新项目的批示",
    "content": "请发改委牵头，住建厅配合，抓紧落实。",
    "category": "leader_instruction",
    "source_type": "leader_instruction",
    "lead_unit": "320000-FGW",
    "co_units": ["320000-ZJT"],
    "joint": False,
}
PLAN = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}


def register(client) -> str:
    response = client.post(f"{API}/matters", json=BODY, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_matter_from_registration_to_closure_in_events(matter_client):
    client = matter_client
    mid = register(client)
    do(client, "office", "draft_plan", PLAN)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "zjt", "sign_for", {"decision": "return", "reason": "不属本单位职责"})
    do(client, "office", "reassign_unit", {"unit": "320000-JYT"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "jyt", "sign_for", {"decision": "sign"})
    do(client, "jyt", "report_to_lead", {"report": "配合意见", "percent": 50})
    fire_due_timers(client, datetime(2026, 3, 27, 2, 0, tzinfo=UTC))  # yellow: a reminder
    fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))  # past due: 催办, red
    fire_due_timers(client, datetime(2026, 4, 9, 2, 0, tzinfo=UTC))  # 5 working days: 督办
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充"})
    do(client, "fgw", "submit_final_report", {"report": "已补充", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    evaluations = [{"unit": "320000-FGW", "timeliness": "fair", "quality": "good"}]
    do(client, "office", "evaluate_units", {"evaluations": evaluations})
    assert matter(client, mid)["status"] == "closed"

    found = events(client, "admin")
    seen = types(found)
    for expected in (
        "instance.started",
        "task.created",
        "task.completed",
        "timer.fired",
        "instance.completed",
        "matter.registered",
        "matter.assigned",
        "matter.returned",
        "matter.signed_for",
        "matter.reported",
        "matter.urged",
        "matter.escalated",
        "matter.light_changed",
        "matter.report_sent_back",
        "matter.evaluated",
        "matter.closed",
    ):
        assert expected in seen, expected
    # Registration first, closure last among the matter's events.
    matter_types = [t for t in seen if t.startswith("matter.")]
    assert matter_types[0] == "matter.registered" and matter_types[-1] == "matter.closed"
    (registered,) = of(found, "matter.registered")
    assert registered["matter_id"] == mid and registered["code"] == "DC-2026-0001"
    assert registered["title"] == BODY["title"] and registered["final_due"] == "2026-04-01"
    assigned = {(a["unit"], a["role"], a["reassigned_from"]) for a in of(found, "matter.assigned")}
    assert assigned == {
        ("320000-FGW", "lead", None),
        ("320000-ZJT", "co", None),
        ("320000-JYT", "co", "320000-ZJT"),
    }
    (returned,) = of(found, "matter.returned")
    assert returned["unit"] == "320000-ZJT" and returned["reason"] == "不属本单位职责"
    reported = {(r["unit"], r["kind"]) for r in of(found, "matter.reported")}
    assert reported == {("320000-JYT", "co_report"), ("320000-FGW", "final")}
    urged = of(found, "matter.urged")
    assert [(u["kind"], u["unit"], u["due"]) for u in urged][:2] == [
        ("remind", "320000-FGW", "2026-04-01"),
        ("urge", "320000-FGW", "2026-04-01"),
    ]
    assert "催办通知" in urged[1]["notice"] and BODY["title"] in urged[1]["notice"]
    (escalated,) = of(found, "matter.escalated")
    assert escalated["kind"] == "escalate" and "督办通知" in escalated["notice"]
    lights = [(c["from"], c["to"]) for c in of(found, "matter.light_changed")]
    assert ("green", "yellow") in lights and ("yellow", "red") in lights
    # Every event names its units; a matter's events name the owner and the lead unit.
    assert all(e["duchaunits"] for e in found)
    for event in found:
        if event["type"].startswith("ducha.matter."):
            assert event["subject"] == mid
            assert {"320000-DCS", "320000-FGW"} <= set(event["duchaunits"].split(","))


def test_units_see_the_events_about_them_and_a_city_sees_none(matter_client):
    """Events are scoped like every list: by the units they are about."""
    client = matter_client
    register(client)
    do(client, "office", "draft_plan", PLAN)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "zjt", "sign_for", {"decision": "return", "reason": "不属本单位职责"})
    do(client, "office", "reassign_unit", {"unit": "320000-JYT"})
    do(client, "jyt", "sign_for", {"decision": "sign"})

    everything = events(client, "admin")
    assert events(client, "province_office") == everything  # its government's whole subtree
    assert events(client, "city_office") == []  # a city's office never sees the province's
    zjt = events(client, "zjt")
    assert zjt and all("320000-ZJT" in e["duchaunits"] for e in zjt)
    assert "matter.returned" in types(zjt)
    assert not [e for e in of(zjt, "matter.signed_for") if e["unit"] == "320000-JYT"]
    jyt_tasks = [t for t in of(events(client, "jyt"), "task.created") if t["unit"]]
    assert {t["unit"] for t in jyt_tasks} == {"320000-JYT"}
    assert [t["element_id"] for t in jyt_tasks] == ["sign_for", "report_to_lead"]


def test_an_extension_and_claims_are_events(matter_client):
    client = matter_client
    mid = register(client)
    do(client, "office", "draft_plan", PLAN)
    do(client, "head", "approve_plan", {"decision": "approve"})
    (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "sign_for"]
    # The office hands ZJT's sign-for to JYT (the task moves; both units are told).
    (zjt_task,) = [t for t in inbox(client, "zjt") if t["element_id"] == "sign_for"]
    moved = client.post(
        f"{API}/tasks/{zjt_task['id']}/assign",
        json={"unit": "320000-JYT"},
        headers=as_(client, "office"),
    )
    assert moved.status_code == 200, moved.text
    claimed = client.post(f"{API}/tasks/{task['id']}/claim", headers=as_(client, "fgw"))
    assert claimed.status_code == 200, claimed.text
    do(client, "fgw", "sign_for", {"decision": "sign"})
    final = next(d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report")
    for requested_due, approve in (("2026-05-30", False), ("2026-04-30", True)):
        asked = client.post(
            f"{API}/matters/{mid}/extensions",
            headers=as_(client, "fgw"),
            json={
                "deadline_id": final["id"],
                "requested_due": requested_due,
                "reason": "需协调资金",
                "progress": "已完成前期工作",
            },
        )
        assert asked.status_code == 201, asked.text
        decided = client.post(
            f"{API}/matters/{mid}/extensions/{asked.json()['id']}/decision",
            headers=as_(client, "office"),
            json={"approve": approve, "comment": "同意" if approve else "理由不充分"},
        )
        assert decided.status_code == 200, decided.text

    for who in ("zjt", "jyt"):
        (reassigned,) = of(events(client, who), "task.assigned")
        assert reassigned["task_id"] == zjt_task["id"] and reassigned["unit"] == "320000-JYT"
        assert reassigned["previous"] == {"assignee": None, "unit": "320000-ZJT"}

    found = events(client, "fgw")
    (claim,) = of(found, "task.claimed")
    assert claim["task_id"] == task["id"] and claim["assignee"] == "fgw"
    rejected, requested = of(found, "matter.extension_requested")
    assert (requested["due"], requested["requested_due"]) == ("2026-04-01", "2026-04-30")
    (refused,) = of(found, "matter.extension_rejected")
    assert refused["extension_id"] == rejected["extension_id"]
    assert refused["comment"] == "理由不充分"
    (extended,) = of(found, "matter.extended")
    assert (extended["previous_due"], extended["due"]) == ("2026-04-01", "2026-04-30")
    assert extended["unit"] == "320000-FGW" and extended["kind"] == "final_report"


def test_a_change_refused_with_4xx_leaves_no_event(matter_client):
    """Transactional outbox: an event exists if and only if its change committed."""
    client = matter_client
    mid = register(client)
    do(client, "office", "draft_plan", PLAN)
    do(client, "head", "approve_plan", {"decision": "approve"})
    before = cursor_now(client)
    (task,) = [t for t in inbox(client, "fgw") if t["element_id"] == "sign_for"]
    url = f"{API}/tasks/{task['id']}"
    # Data that breaks the form; another unit's task; a second claim; a late extension.
    assert (
        client.post(
            f"{url}/complete", json={"variables": {"decision": "maybe"}}, headers=as_(client, "fgw")
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{url}/complete", json={"variables": {"decision": "sign"}}, headers=as_(client, "jyt")
        ).status_code
        == 404
    )  # not in its scope
    assert client.post(f"{url}/claim", headers=as_(client, "fgw")).status_code == 200
    after_claim = cursor_now(client)
    assert types(events(client, "admin", after=before)) == ["task.claimed"]
    other = {"Authorization": as_(client, "fgw")["Authorization"]}
    assert client.post(f"{url}/claim", headers=other).status_code == 200  # the same user: no-op
    final = next(d for d in matter(client, mid)["deadlines"] if d["kind"] == "final_report")
    fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    after_timers = cursor_now(client)
    late = client.post(
        f"{API}/matters/{mid}/extensions",
        headers=as_(client, "fgw"),
        json={
            "deadline_id": final["id"],
            "requested_due": "2026-05-30",
            "reason": "来不及了",
            "progress": "尚未完成",
        },
    )
    assert late.status_code == 422 and late.json()["code"] == "deadline_passed"
    assert events(client, "admin", after=after_timers) == []
    assert "task.claimed" not in types(events(client, "admin", after=after_claim))
    assert page(client, "admin", after=after_timers)["next"] == after_timers
