"""seed 四 and 条例 Art. 8, 12, 16: every supervision method driven through REST by the right
users, from creation to the conclusion delivered to the target units."""

import uuid

from activity_helpers import (
    API,
    DEPUTY_UNIT,
    EVALUATOR_UNIT,
    PNG,
    activity,
    as_,
    close_matter,
    create,
    do,
    ensure_units,
    inbox,
    prepare,
    run_invited_inspection,
    run_look_back,
    run_media,
    run_on_site,
    run_survey,
    run_third_party,
    upload,
)

from app.activities.service import findings


def test_on_site_records_findings_per_target_unit(matter_client):
    # seed 四(一): 实地调查复核 — findings, problems and photos per target unit.
    client = matter_client
    created = create(client, "on_site")
    assert created["status"] == "planned" and created["origin"] == "office"
    assert created["instance_id"] and created["code"].startswith("DC2026-")
    assert [t["element_id"] for t in created["ready_tasks"]] == ["prepare_activity"]
    # Only the office works the activity's tasks.
    assert inbox(client, "fgw") == []
    state = run_on_site_from(client, created)
    assert state["status"] == "concluded"
    # 条例 Art. 12: unannounced visits — advance notice is optional, and recorded.
    assert state["preparation"]["advance_notice"] is False
    site = [f for f in state["findings"] if f["step"] == "on_site"]
    assert sorted(f["unit_code"] for f in site) == ["320000-FGW", "320000-ZJT"]
    assert all(len(f["attachment_ids"]) == 1 for f in site)
    # 条例 Art. 16: the conclusion, on facts and evidence, by its author, delivered now.
    assert state["conclusion"] and state["evidence"] and state["concluded_by"] == "office"
    assert state["objection_due"] == "2026-04-01"
    assert state["ready_tasks"] == []


def run_on_site_from(client, created):
    aid = created["id"]
    prepare(client)
    assert activity(client, aid)["status"] == "in_progress"  # work has started
    photo = upload(client, aid, "现场.png", PNG)
    for task in [t for t in inbox(client, "office") if t["element_id"] == "record_site_findings"]:
        bad = client.post(
            f"{API}/tasks/{task['id']}/complete",
            json={"variables": {"findings": "情况", "photos": [created["id"]]}},
            headers=as_(client, "office"),
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "photos/0"
        ok = client.post(
            f"{API}/tasks/{task['id']}/complete",
            json={
                "variables": {
                    "findings": "进度正常",
                    "problems": "资金缺口",
                    "photos": [photo["id"]],
                }
            },
            headers=as_(client, "office"),
        )
        assert ok.status_code == 200, ok.text
    do(client, "office", "draw_conclusion", {"conclusion": "总体到位", "evidence": "现场记录"})
    return activity(client, aid)


def test_on_site_helper_runs_to_conclusion(matter_client):
    state = run_on_site(matter_client)
    assert state["status"] == "concluded" and len(state["attachments"]) == 1


def test_look_back_reuses_the_matter_look_back(matter_client):
    # seed 四(一): 回头看、再督查 of closed matters, through the matters' own look-back process.
    client = matter_client
    state = run_look_back(client)
    (check,) = state["look_backs"]
    assert check["result"] == "passed" and check["findings"] == "整改到位，群众满意"
    assert [f["step"] for f in state["findings"]] == ["look_back"]
    matter = client.get(f"{API}/matters/{check['matter_id']}", headers=as_(client, "office")).json()
    assert "look_back_scheduled" in [t["event"] for t in matter["timeline"]]
    (summary,) = findings_of(client, state["id"])
    assert "回头看1件事项" in summary["summary"] and "落实到位" in summary["summary"]


def test_look_back_summary_waits_for_the_checks(matter_client):
    client = matter_client
    mid = close_matter(client)
    aid = create(client, "look_back", matter_ids=[mid], target_units=["320000-FGW"])["id"]
    prepare(client)
    early = do(client, "office", "record_look_back", {"summary": "汇总"}, status=409)
    assert early["code"] == "activity_records_missing"
    other = create(client, "on_site")["id"]
    wrong = client.post(
        f"{API}/activities/{other}/look-backs", json={}, headers=as_(client, "office")
    )
    assert wrong.status_code == 409
    assert activity(client, aid)["look_backs"] == []
    scheduled = client.post(
        f"{API}/activities/{aid}/look-backs", json={}, headers=as_(client, "office")
    )
    assert scheduled.status_code == 201, scheduled.text
    ready = {t["element_id"] for t in scheduled.json()["ready_tasks"]}
    assert ready == {"record_look_back", "verify_implementation"}  # the matter's own check


def test_invited_inspection_gives_each_invitee_a_task(matter_client):
    # seed 四(二), 条例 Art. 8: deputies, members and counsellors inspect; opinions recorded.
    client = matter_client
    state = run_invited_inspection(client)
    opinions = {o["invitee"]: o for o in state["opinions"]}
    assert set(opinions) == {"deputy_li", "deputy_zhao"}
    assert opinions["deputy_li"]["suggestions"] == "加快配套资金拨付"
    assert state["preparation"]["advance_notice"] is True
    # The deputies see the activity they inspected.
    assert activity(client, state["id"], who="deputy_li")["status"] == "concluded"


def test_an_invitee_works_only_their_own_task(matter_client):
    client = matter_client
    ensure_units(client)
    create(client, "invited_inspection")
    no_invitees = do(
        client,
        "office",
        "prepare_activity",
        {"team_leader": "王", "advance_notice": True},
        status=422,
    )
    assert no_invitees["errors"][0]["field"] == "invitees"
    prepare(client, invitees=[{"user": "deputy_li", "unit": DEPUTY_UNIT}])
    (task,) = [
        t for t in inbox(client, "deputy_zhao") if t["element_id"] == "record_inspection_opinion"
    ]
    assert task["assignee"] == "deputy_li"
    refused = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": {"opinion": "代为填写"}},
        headers=as_(client, "deputy_zhao"),
    )
    assert refused.status_code == 409


def test_third_party_evaluation_is_sent_back_then_accepted(matter_client):
    # seed 四(三): the commissioned evaluator submits a report and a score; the office accepts.
    client = matter_client
    state = run_third_party(client, score=86)
    first, second = state["evaluations"]
    assert (first["decision"], first["score"]) == ("returned", 70)
    assert first["comment"] == "补充问卷数据"
    assert (second["decision"], second["score"]) == ("accepted", 86)
    assert second["unit_code"] == EVALUATOR_UNIT and len(second["attachment_ids"]) == 1
    (summary,) = findings_of(client, state["id"])
    assert "得分86分" in summary["summary"]


def test_third_party_score_is_0_to_100(matter_client):
    client = matter_client
    ensure_units(client)
    create(client, "third_party")
    prepare(client, evaluator_unit=EVALUATOR_UNIT)
    bad = do(client, "evaluator", "submit_evaluation", {"report": "报告", "score": 101}, status=422)
    assert bad["errors"][0]["field"] == "score"


def test_survey_results_are_aggregated_then_analysed(matter_client):
    # seed 四(四): questionnaire, phone and web answers; satisfaction rate per question.
    client = matter_client
    state = run_survey(client)
    aggregate = state["survey"]["aggregate"]
    assert aggregate["respondents"] == 4
    assert aggregate["channels"] == {"questionnaire": 1, "phone": 1, "web": 2}
    satisfaction, opinions = aggregate["questions"]
    assert satisfaction["answers"] == {"满意": 2, "基本满意": 1, "不满意": 1}
    assert satisfaction["satisfaction_rate"] == 75.0
    assert opinions["satisfaction_rate"] is None and opinions["answered"] == 3
    (summary,) = findings_of(client, state["id"])
    assert "满意率75.0%" in summary["summary"]


def test_media_coverage_from_endpoint_and_task(matter_client):
    # seed 四(五): 舆论监督 — coverage recorded with outlet, date, title, url, tone, summary.
    client = matter_client
    state = run_media(client)
    assert [(c["outlet"], c["tone"]) for c in state["coverage"]] == [
        ("新华日报", "positive"),
        ("荔枝网", "critical"),
    ]
    (summary,) = findings_of(client, state["id"])
    assert "媒体报道2篇（正面1篇、批评1篇）" in summary["summary"]
    late = client.post(
        f"{API}/activities/{state['id']}/coverage",
        json={"outlet": "x", "published_on": "2026-03-09", "title": "t", "tone": "neutral"},
        headers=as_(client, "office"),
    )
    assert late.status_code == 409  # concluded: nothing more is recorded


def findings_of(client, activity_id):
    with client.app.state.db.session() as s:
        return findings(s, [uuid.UUID(activity_id)])
