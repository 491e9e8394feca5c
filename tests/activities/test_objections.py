"""条例 Art. 17: a target unit may apply for review within 30 days of receiving the conclusion;
the government decides within 30 days; those who made the conclusion step aside."""

from datetime import UTC, datetime

from activity_helpers import API, as_, create, do, inbox, run_on_site
from conftest import login

from app.kit.clock import clock


def _object(client, aid, who="fgw_head"):
    return client.post(
        f"{API}/activities/{aid}/objections",
        json={"reason": "资金缺口系中央资金未下达所致，非我委责任"},
        headers=as_(client, who),
    )


def test_objection_within_30_days_decided_by_another_leader(matter_client):
    client = matter_client
    state = run_on_site(client)  # concluded 2 March 2026
    aid = state["id"]
    assert state["objection_due"] == "2026-04-01"
    # seed/条例 Art. 17: the last day of the 30 counts (the start day does not).
    clock.freeze(datetime(2026, 4, 1, 15, 0, tzinfo=UTC))  # 1 April, 23:00 China time
    filed = _object(client, aid)
    assert filed.status_code == 201, filed.text
    objection = filed.json()
    assert objection["status"] == "pending" and objection["unit_code"] == "320000-FGW"
    assert objection["decide_due"] == "2026-05-06"  # 1 April + 30 days → 1 May, after 劳动节
    (task,) = [t for t in inbox(client, "leader") if t["element_id"] == "decide_objection"]
    assert task["unit_code"] == "320000-GOV"
    # Those who made the conclusion step aside: the office user who drew it, now as a leader.
    recused = login(client, sub="office", unit="320000-GOV", roles=["leader"])
    refused = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": {"decision": "upheld", "reason": "维持"}},
        headers=recused,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["field"] == "decider"
    do(
        client,
        "leader",
        "decide_objection",
        {"decision": "amended", "reason": "部分采纳", "amended_conclusion": "总体到位，资金待下达"},
    )
    state = client.get(f"{API}/activities/{aid}", headers=as_(client, "fgw")).json()
    (decided,) = state["objections"]
    assert (decided["status"], decided["decision"], decided["decided_by"]) == (
        "decided",
        "amended",
        "leader",
    )
    assert state["conclusion"] == "总体到位，资金待下达"


def test_objection_after_30_days_is_refused_with_the_deadline(matter_client):
    client = matter_client
    aid = run_on_site(client)["id"]
    clock.freeze(datetime(2026, 4, 1, 16, 30, tzinfo=UTC))  # 2 April, 00:30 China time
    late = _object(client, aid)
    assert late.status_code == 422
    assert late.json()["deadline"] == "2026-04-01"
    assert "2026-04-01" in late.json()["detail"]
    assert (
        client.get(f"{API}/activities/{aid}", headers=as_(client, "fgw")).json()["objections"] == []
    )


def test_only_target_units_object_and_only_after_the_conclusion(matter_client):
    client = matter_client
    aid = run_on_site(client)["id"]
    open_activity = create(client, "on_site")["id"]
    assert _object(client, open_activity).status_code == 409  # no conclusion yet
    outsider = login(client, sub="jyt", unit="320000-JYT", roles=["unit_head"])
    response = client.post(
        f"{API}/activities/{aid}/objections", json={"reason": "不服结论"}, headers=outsider
    )
    assert response.status_code == 404  # not involved: the activity is not visible
    assert _object(client, aid, who="office").status_code == 403  # units object, not the office
