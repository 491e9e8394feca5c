"""Notices tell the truth (domain.md §7 ladder): an urging timer fired by hand before its due
time never says "已超过时限". Without a reason it is refused (409 `notice_not_due`, nothing
written); with `{"early": true, "reason": …}` it is a 提前催办 saying who and why."""

from datetime import UTC, datetime

from matter_helpers import API, as_, do, inbox, matter

from app.kit.clock import clock

BODY = {
    "title": "关于推进城市更新的批示",
    "content": "请发改委抓紧落实。",
    "category": "leader_instruction",
    "source_type": "leader_instruction",
    "lead_unit": "320000-FGW",
    "division_unit": "320000-GO-ZH1",
}
PLAN = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}


def _sign_for_timer(client, instance_id: str) -> dict:
    jobs = client.get(
        f"{API}/jobs", params={"process_instance_id": instance_id}, headers=as_(client, "admin")
    ).json()["items"]
    (job,) = [j for j in jobs if j["element_id"] == "sign_for_overdue"]
    return job


def _execute(client, job_id: str, body: dict | None = None):
    return client.post(f"{API}/jobs/{job_id}/execute", json=body, headers=as_(client, "admin"))


def _registered(client) -> dict:
    created = client.post(f"{API}/matters", json=BODY, headers=as_(client, "office"))
    assert created.status_code == 201, created.text
    do(client, "office", "draft_plan", PLAN)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    return matter(client, created.json()["id"])


def test_an_urging_timer_fired_early_is_refused_without_a_reason(matter_client):
    client = matter_client  # 2026-03-02; the sign-for deadline is 5 March
    state = _registered(client)
    job = _sign_for_timer(client, state["instance_id"])
    refused = _execute(client, job["id"])
    assert refused.status_code == 409, refused.text
    answer = refused.json()
    assert answer["code"] == "notice_not_due"
    assert answer["deadline_due"] == "2026-03-05"
    assert datetime.fromisoformat(answer["due_at"]) == datetime.fromisoformat(
        job["due_at"].replace("Z", "+00:00")
    )
    after = matter(client, state["id"])
    assert after["urgings"] == [] and after["light"] == "yellow"
    assert _sign_for_timer(client, state["instance_id"])["id"] == job["id"]  # still waiting
    assert [t["element_id"] for t in inbox(client, "fgw")] == ["sign_for"]
    # `early` needs a reason, and a reason needs `early`: 422 naming the field.
    for body in ({"early": True}, {"reason": "领导要求"}, {"early": True, "reason": ""}):
        invalid = _execute(client, job["id"], body)
        assert invalid.status_code == 422, (body, invalid.text)
    assert matter(client, state["id"])["urgings"] == []


def test_an_early_urging_says_who_and_why_and_not_that_time_is_up(matter_client):
    client = matter_client
    state = _registered(client)
    job = _sign_for_timer(client, state["instance_id"])
    fired = _execute(client, job["id"], {"early": True, "reason": "分管领导要求加快签收"})
    assert fired.status_code == 200, fired.text
    after = matter(client, state["id"])
    (urging,) = after["urgings"]
    assert urging["kind"] == "early_urge"
    assert "提前催办" in urging["notice"] and "admin" in urging["notice"]
    assert "分管领导要求加快签收" in urging["notice"] and "2026-03-05" in urging["notice"]
    assert "超过" not in urging["notice"] and "逾期" not in urging["notice"]
    # The clock decides the light and the overdue count, not the firing.
    assert after["light"] == "yellow"
    overdue = client.get(
        f"{API}/matters", params={"overdue": True}, headers=as_(client, "office")
    ).json()
    assert overdue["items"] == []
    entry = after["timeline"][-1]
    assert entry["event"] == "early_urge" and entry["actor"] == "admin"


def test_a_timer_fired_on_time_still_urges(matter_client):
    client = matter_client
    state = _registered(client)
    job = _sign_for_timer(client, state["instance_id"])
    clock.freeze(datetime(2026, 3, 5, 17, 0, tzinfo=UTC))  # 6 March 01:00 in China: past due
    assert _execute(client, job["id"]).status_code == 200
    (urging,) = matter(client, state["id"])["urgings"]
    assert urging["kind"] == "sign_overdue" and "未在时限（2026-03-05）内签收" in urging["notice"]
    assert matter(client, state["id"])["light"] == "red"


def test_a_rectification_urging_is_not_sent_before_the_part_is_late(matter_client):
    # seed 三(三): "已超过整改时限" is true only after the part's due day, early reason or not.
    client = matter_client
    opened = client.post(
        f"{API}/rectifications",
        json={
            "title": "关于督查发现问题限期整改的通知",
            "problems": ["项目审批超时限"],
            "units": ["320000-FGW"],
            "days": 18,
            "verify_on_site": False,
        },
        headers=as_(client, "office"),
    )
    assert opened.status_code == 201, opened.text
    jobs = client.get(
        f"{API}/jobs",
        params={"process_instance_id": opened.json()["instance_id"]},
        headers=as_(client, "admin"),
    ).json()["items"]
    (overdue,) = [j for j in jobs if j["element_id"] == "part_overdue"]
    for body in (None, {"early": True, "reason": "领导要求"}):
        refused = _execute(client, overdue["id"], body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "notice_not_due"
    state = client.get(
        f"{API}/rectifications/{opened.json()['id']}", headers=as_(client, "office")
    ).json()
    (only,) = state["parts"]
    assert state["light"] == "green" and only["urgings"] == []


def test_a_timer_on_time_for_a_deadline_since_extended_sends_nothing_false(matter_client):
    # seed 三(一) + domain.md §7: the July report is extended to 14 August; its timers still fire
    # on 10 and 16 July (a period's timers keep their instants) — no "已超过…时限（08-14）".
    client = matter_client
    body = {**BODY, "title": "年度重点工作", "source_type": "annual_key_work"}
    body.update(category="key_work")
    created = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    do(client, "office", "draft_plan", {**PLAN, "joint": False})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    (july,) = [d for d in matter(client, mid)["deadlines"] if d["due"] == "2026-07-15"]
    asked = client.post(
        f"{API}/matters/{mid}/extensions",
        json={
            "deadline_id": july["id"],
            "requested_due": "2026-08-14",
            "reason": "需协调资金",
            "progress": "已完成前期工作",
        },
        headers=as_(client, "fgw"),
    )
    assert asked.status_code == 201, asked.text
    decided = client.post(
        f"{API}/matters/{mid}/extensions/{asked.json()['id']}/decision",
        json={"approve": True},
        headers=as_(client, "office"),
    )
    assert decided.status_code == 200, decided.text
    clock.freeze(datetime(2026, 7, 15, 17, 0, tzinfo=UTC))  # 16 July 01:00 in China
    client.app.state.scheduler.run_due()
    state = matter(client, mid)
    # Neither the reminder (10 July, a month early) nor the urging (16 July) is true now.
    assert state["urgings"] == []
    withheld = [e["summary"] for e in state["timeline"] if e["event"] == "urging_withheld"]
    assert len(withheld) == 2 and all("2026-08-14" in w for w in withheld), withheld
    assert state["light"] == "green"
