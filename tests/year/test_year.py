"""A year of supervision through REST alone (issue: plan and apply results): the annual plan
drafted and approved (seed 二(一)); an unplanned activity proposed, its overlap shown and merged;
activities of every method recorded (seed 四); matters run late and urged; a supervision report,
a bulletin, a rectification verified, an accountability decision (seed 三(二)–(四)); scores
computed and exported (seed 三(三)); the documents opened and checked."""

import io
from datetime import UTC, datetime

import openpyxl
from activities import activity_helpers as acts
from planning import planning_helpers as plans
from rectification import rectification_helpers as rect
from results import results_helpers as res

API = "/api/v1"


def _get(client, path: str, who: str = "office", module=plans) -> dict:
    response = client.get(f"{API}{path}", headers=module.as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_year_of_supervision_from_plan_to_scores(matter_client):
    client = matter_client
    # seed 四: early in the year the office's own follow-ups use every method, each driven to
    # its conclusion by the people who do it.
    concluded = [acts.RUNNERS[method](client) for method in sorted(acts.RUNNERS)]
    assert {a["method"] for a in concluded} >= {
        "on_site",
        "look_back",
        "invited_inspection",
        "third_party",
        "survey",
        "media",
    }
    assert all(a["status"] == "concluded" for a in concluded)
    # seed 二(一): the annual plan, drafted by the office around the government's central work
    # and approved by the principal leader; its items become matters and activities.
    plan = plans.approve_plan(
        client,
        {
            "year": 2026,
            "title": "2026年度省政府督查工作计划",
            "basis": "围绕省政府中心工作，突出重大项目和安全生产",
            "items": [
                plans.matter_item("重大项目建设年度目标任务", "320000-FGW", ["320000-ZJT"]),
                plans.activity_item(
                    "全省安全生产大检查专项督查", ["320000-ZJT"], "2026-04-01", "2026-05-31"
                ),
            ],
        },
    )
    assert plan["status"] == "approved"
    matter_item, activity_item = plan["items"]
    assert matter_item["matter_id"] and activity_item["activity_id"]
    planned_matter = _get(client, f"/matters/{matter_item['matter_id']}")
    assert planned_matter["source_type"] == "annual_key_work"
    # seed 二(一): an unplanned activity is reviewed against overlapping ones before approval;
    # here it overlaps the planned safety inspection and is merged into it.
    submitted = plans.submit_proposal(
        client,
        plans.proposal_body(
            "安全生产隐患排查整治情况督查", ["320000-ZJT"], "2026-05-01", "2026-05-20"
        ),
    )
    overlaps = _get(client, f"/activity-proposals/{submitted['id']}/overlaps")
    assert overlaps[0]["id"] == activity_item["activity_id"], overlaps
    plans.work(
        client,
        "office",
        "review_proposal",
        submitted["instance_id"],
        {"review_decision": "merge", "merge_into": activity_item["activity_id"]},
    )
    assert _get(client, f"/activity-proposals/{submitted['id']}")["status"] == "merged"
    # The planned activity runs on site: the team prepares, records findings, concludes.
    activity = acts.activity(client, activity_item["activity_id"])
    instance = activity["instance_id"]
    plans.work(
        client,
        "office",
        "prepare_activity",
        instance,
        {"team_leader": "王督查", "team_members": ["李干部"], "advance_notice": False},
    )
    plans.work(
        client,
        "office",
        "record_site_findings",
        instance,
        {"findings": "隐患整改台账不全", "problems": "3处隐患逾期未改", "photos": []},
    )
    plans.work(
        client,
        "office",
        "draw_conclusion",
        instance,
        {"conclusion": "隐患排查不彻底，限期整改", "evidence": "现场核查记录"},
    )
    assert acts.activity(client, activity_item["activity_id"])["status"] == "concluded"
    # Matters: one on time, one late and urged (seed 三(一) deadlines, domain §7 ladder).
    punctual = res.register_matter(client, "关于加快重点项目审批的批示", lead="320000-JYT")
    res.finish_matter(client, punctual)
    late = res.register_matter(client, "关于推进城市更新的批示", lead="320000-ZJT")
    res.run_until(client, datetime(2026, 4, 20, 1, 0, tzinfo=UTC))
    late_state = _get(client, f"/matters/{late['id']}")
    assert late_state["light"] == "red"
    urging = late_state["urgings"][-1]
    notice = res.open_docx(client, f"/matters/{late['id']}/urgings/{urging['id']}/notice.docx")
    assert "关于推进城市更新的批示" in res.text_of(notice)
    # seed 三(四): a supervision report assembled from the matters and the activities.
    report = res.approve_report(
        client,
        {
            "kind": "report",
            "title": "2026年上半年督查情况报告",
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "matter_ids": [punctual["id"], late["id"]],
            "activity_ids": [activity_item["activity_id"]],
            "recipients": ["320000-GOV"],
        },
    )
    assert report["status"] == "approved"
    report_text = res.text_of(
        res.open_docx(client, f"/supervision-reports/{report['id']}/document.docx")
    )
    assert "关于推进城市更新的批示" in report_text and "全省安全生产大检查专项督查" in report_text
    # seed 三(二): a bulletin commends and criticises, approved by the leader (条例 Art. 21).
    bulletin = res.issue_bulletin(
        client,
        {
            "title": "关于2026年上半年督查事项办理情况的通报",
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "body": "现将上半年督查事项办理情况通报如下。",
            "entries": [
                {
                    "unit_code": "320000-JYT",
                    "verdict": "commend",
                    "reason": "按时办结，质量较高",
                    "matter_ids": [punctual["id"]],
                },
                {
                    "unit_code": "320000-ZJT",
                    "verdict": "criticise",
                    "reason": "逾期未报，经催办仍未办结",
                    "matter_ids": [late["id"]],
                },
            ],
            "recipients": ["320000-JYT", "320000-ZJT"],
        },
    )
    assert bulletin["status"] == "issued"
    bulletin_text = res.text_of(res.open_docx(client, f"/bulletins/{bulletin['id']}/document.docx"))
    assert "逾期未报" in bulletin_text and bulletin["doc_number"] in bulletin_text
    # seed 三(三): rectification with a deadline, verified by the office (条例 Art. 18).
    rectification = rect.open_rectification(
        client, units=["320000-ZJT"], source={"matter_id": late["id"]}
    )
    done = rect.drive_to_accepted(client, rectification)
    assert rect.part(done, "320000-ZJT")["status"] == "accepted"
    # seed 三(三), 条例 Art. 21: an admonitory talk, approved before it is recorded.
    case = res.decide_accountability(
        client,
        {
            "measure": "admonitory_talk",
            "unit_codes": ["320000-ZJT"],
            "matter_ids": [late["id"]],
            "facts": "督查事项逾期未办结，经催办、督办仍未落实",
            "basis": "《政府督查工作条例》第二十一条",
            "proposal": "约谈单位主要负责人",
        },
    )
    assert case["status"] == "decided"
    # seed 三(三): results into performance evaluation, every point explained, exported.
    scores = client.get(
        f"{API}/scores",
        params={"period_start": "2026-01-01", "period_end": "2026-12-31"},
        headers=plans.as_(client, "office"),
    ).json()
    by_unit = {s["unit_code"]: s for s in scores["items"]}
    jyt, zjt = by_unit["320000-JYT"], by_unit["320000-ZJT"]
    for unit in (jyt, zjt):
        assert round(sum(line["points"] for line in unit["breakdown"]), 2) == round(
            unit["total"], 2
        )
    assert jyt["total"] > zjt["total"]
    workbook = client.get(
        f"{API}/scores/export.xlsx",
        params={"period_start": "2026-01-01", "period_end": "2026-12-31"},
        headers=plans.as_(client, "office"),
    )
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "320000-ZJT" in " ".join(cells) or "住房城乡建设厅" in " ".join(cells)
    ledger = client.get(f"{API}/ledgers/overdue.xlsx", headers=plans.as_(client, "office"))
    assert ledger.status_code == 200
