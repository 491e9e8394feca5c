"""seed 三(三), 条例 Art. 18: rectification with a deadline (限期整改), verified by the office —
driven through REST alone: two units, a plan sent back then confirmed, a report sent back after
on-site verification then accepted, a unit late and urged by the timers, lights throughout."""

from datetime import datetime

from conftest import login
from rectification_helpers import (
    API,
    confirm_plan,
    detail,
    drive_to_accepted,
    fire_due_timers,
    handler,
    office,
    open_rectification,
    part,
    report,
    submit_plan,
    task_for,
    unit_head,
    verify,
    work,
)

from app.kit.timezone import CHINA

FGW, ZJT, JYT = "320000-FGW", "320000-ZJT", "320000-JYT"


def _register_matter(client) -> dict:
    body = {
        "title": "关于加快推进城市更新项目的批示",
        "content": "请发改委牵头，住建厅配合，抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": FGW,
        "co_units": [ZJT],
        "division_unit": "320000-GO-ZH1",
    }
    response = client.post(f"{API}/matters", json=body, headers=office(client))
    assert response.status_code == 201, response.text
    return response.json()


def test_two_units_rectify_one_late_and_urged(matter_client):
    client = matter_client
    matter = _register_matter(client)
    # seed 三(三): the office orders two units to rectify by 20 March, verified on site.
    opened = open_rectification(
        client,
        source={"matter_id": matter["id"]},
        due="2026-03-20",
        days=None,
        verify_on_site=True,
        problems="项目推进缓慢，资金拨付不及时",
    )
    instance = opened["instance_id"]
    assert opened["code"].startswith("ZG-2026-")
    assert opened["problems"] == ["项目推进缓慢，资金拨付不及时"]
    assert [p["status"] for p in opened["parts"]] == ["plan", "plan"]
    assert opened["light"] == "green"
    timeline = client.get(f"{API}/matters/{matter['id']}", headers=office(client)).json()
    assert "rectification_ordered" in [t["event"] for t in timeline["timeline"]]

    # 整改方案: FGW's plan is sent back once, then confirmed; ZJT's is confirmed at once.
    submit_plan(client, opened, FGW)
    work(
        client,
        office(client),
        "confirm_plan",
        {"decision": "return", "comment": "措施不具体，请细化"},
        instance_id=instance,
        unit=FGW,
    )
    assert part(detail(client, opened["id"]), FGW)["status"] == "plan"
    submit_plan(client, opened, FGW)
    confirm_plan(client, opened, FGW)
    submit_plan(client, opened, ZJT)
    confirm_plan(client, opened, ZJT)
    state = detail(client, opened["id"])
    assert part(state, FGW)["plan_returns"] == 1 and part(state, FGW)["status"] == "rectifying"
    assert part(state, ZJT)["plan"]["responsible"] == "分管副主任"

    # domain.md §7: yellow when the warning window opens (3 working days before the 20th).
    fire_due_timers(client, datetime(2026, 3, 17, 9, 1, tzinfo=CHINA))
    state = detail(client, opened["id"])
    assert state["light"] == "yellow"
    assert {p["light"] for p in state["parts"]} == {"yellow"}
    assert [u["kind"] for u in part(state, ZJT)["urgings"]] == ["remind"]
    assert "整改提醒" in part(state, ZJT)["urgings"][0]["notice"]

    # FGW reports on time; the on-site verification sends it back; it reports again, accepted.
    fire_due_timers(client, datetime(2026, 3, 18, 10, 0, tzinfo=CHINA))
    report(client, opened, FGW)
    state = detail(client, opened["id"])
    assert part(state, FGW)["light"] == "green" and part(state, FGW)["outcome"] == "on_time"
    verify(client, opened, FGW, accept=False, comment="现场仍有问题未整改")
    state = detail(client, opened["id"])
    fgw = part(state, FGW)
    assert (fgw["status"], fgw["send_backs"], fgw["done_on"]) == ("rectifying", 1, None)
    assert fgw["verification"]["on_site"] is True
    assert fgw["verification"]["site"] == f"{FGW} 项目现场"
    assert fgw["light"] == "yellow"
    fire_due_timers(client, datetime(2026, 3, 19, 10, 0, tzinfo=CHINA))
    report(client, opened, FGW)
    verify(client, opened, FGW)
    fgw = part(detail(client, opened["id"]), FGW)
    assert (fgw["status"], fgw["outcome"], fgw["days_late"]) == ("accepted", "on_time", 0)
    assert "整改到位" in fgw["verification"]["findings"]

    # ZJT misses the deadline: red, an urging notice, then 督办 after 5 working days.
    fire_due_timers(client, datetime(2026, 3, 21, 0, 1, tzinfo=CHINA))
    state = detail(client, opened["id"])
    assert state["light"] == "red" and part(state, ZJT)["light"] == "red"
    assert part(state, FGW)["light"] == "green"
    urge = part(state, ZJT)["urgings"][-1]
    assert urge["kind"] == "urge" and "催办通知" in urge["notice"]
    listed = client.get(
        f"{API}/rectifications", params={"overdue": True}, headers=office(client)
    ).json()
    assert [r["id"] for r in listed["items"]] == [opened["id"]]
    fire_due_timers(client, datetime(2026, 3, 27, 9, 1, tzinfo=CHINA))
    kinds = [u["kind"] for u in part(detail(client, opened["id"]), ZJT)["urgings"]]
    assert kinds == ["remind", "urge", "escalate"]
    # FGW, already accepted, was never urged.
    assert [u["kind"] for u in part(detail(client, opened["id"]), FGW)["urgings"]] == ["remind"]

    fire_due_timers(client, datetime(2026, 3, 30, 10, 0, tzinfo=CHINA))
    report(client, opened, ZJT)
    verify(client, opened, ZJT)
    state = detail(client, opened["id"])
    zjt = part(state, ZJT)
    assert (zjt["status"], zjt["outcome"], zjt["days_late"]) == ("accepted", "late", 10)
    assert state["status"] == "closed" and state["light"] == "green"
    assert state["ready_tasks"] == []
    events = [h["event"] for h in state["history"]]
    for expected in (
        "opened",
        "plan_submitted",
        "plan_sent_back",
        "plan_confirmed",
        "remind",
        "reported",
        "sent_back",
        "accepted",
        "urge",
        "escalate",
        "closed",
    ):
        assert expected in events, expected
    assert events[0] == "opened" and events[-1] == "closed"
    instance_state = client.get(
        f"{API}/process-instances/{instance}", headers=office(client)
    ).json()
    assert instance_state["status"] == "completed"


def test_the_unit_head_signs_the_plan_off_and_may_return_it(matter_client):
    client = matter_client
    opened = open_rectification(client, units=[FGW], head_sign_off=True)
    instance = opened["instance_id"]
    submit_plan(client, opened, FGW)
    assert part(detail(client, opened["id"]), FGW)["status"] == "plan_sign_off"
    # The handler cannot sign off; the head of another unit sees no task.
    assert (
        task_for(client, handler(client, FGW), "sign_off_plan", instance_id=instance, unit=FGW)
        is None
    )
    assert (
        task_for(client, unit_head(client, ZJT), "sign_off_plan", instance_id=instance, unit=FGW)
        is None
    )
    work(
        client,
        unit_head(client, FGW),
        "sign_off_plan",
        {"decision": "return", "comment": "责任人不明确"},
        instance_id=instance,
        unit=FGW,
    )
    submit_plan(client, opened, FGW)
    work(
        client,
        unit_head(client, FGW),
        "sign_off_plan",
        {"decision": "approve"},
        instance_id=instance,
        unit=FGW,
    )
    state = detail(client, opened["id"])
    assert part(state, FGW)["status"] == "plan_review"
    assert part(state, FGW)["plan_returns"] == 0  # the head's return is the unit's own
    events = [h["event"] for h in state["history"]]
    assert events.count("plan_submitted") == 2 and "plan_returned_by_head" in events


def test_rectifications_are_scoped_to_the_units_concerned(matter_client):
    client = matter_client
    opened = open_rectification(client, units=[FGW])
    assert client.get(f"{API}/rectifications", headers=handler(client, FGW)).json()["total"] == 1
    other = handler(client, JYT)
    assert client.get(f"{API}/rectifications", headers=other).json()["total"] == 0
    assert client.get(f"{API}/rectifications/{opened['id']}", headers=other).status_code == 404
    # A city's office does not see the province's rectifications.
    city = login_city(client)
    assert client.get(f"{API}/rectifications", headers=city).json()["total"] == 0
    by_unit = client.get(
        f"{API}/rectifications", params={"unit": ZJT}, headers=office(client)
    ).json()
    assert by_unit["total"] == 0
    by_light = client.get(
        f"{API}/rectifications",
        params={"light": "green", "status": "rectifying"},
        headers=office(client),
    ).json()
    assert by_light["total"] == 1


def login_city(client) -> dict[str, str]:
    return login(client, sub="zheng.nj", unit="320100-DCS", roles=["supervision_office"])


def test_bad_orders_are_refused_naming_the_field(matter_client):
    client = matter_client
    url = f"{API}/rectifications"
    base = {"title": "整改通知", "problems": ["问题"], "units": [FGW], "days": 10}

    def refused(body: dict, headers=None) -> dict:
        response = client.post(url, json=body, headers=headers or office(client))
        assert response.status_code in (403, 422), response.text
        return response.json()

    assert refused({**base, "units": ["999999-XXX"]})["errors"][0]["field"] == "units/0"
    assert refused(base, login_city(client))["errors"][0]["field"] == "units/0"  # out of scope
    assert refused({**base, "due": "2026-04-01"})["errors"][0]["field"] == "due"
    assert refused({**base, "days": None, "due": "2026-03-01"})["errors"][0]["field"] == "due"
    assert refused({**base, "problems": []})["errors"][0]["field"] == "body.problems"
    assert refused({**base, "units": [FGW, FGW]})["errors"][0]["field"] == "body.units"
    unknown = "00000000-0000-0000-0000-000000000000"
    assert (
        refused({**base, "source": {"matter_id": unknown}})["errors"][0]["field"]
        == "source.matter_id"
    )
    assert refused(base, handler(client, FGW))["code"] == "forbidden"
    # Nothing was created.
    assert client.get(url, headers=office(client)).json()["total"] == 0


def test_the_helper_drives_every_part_to_accepted(matter_client):
    client = matter_client
    opened = open_rectification(client, head_sign_off=True, verify_on_site=True)
    state = drive_to_accepted(client, opened)
    assert state["status"] == "closed"
    assert {p["status"] for p in state["parts"]} == {"accepted"}
