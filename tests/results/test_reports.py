"""Supervision reports (督查报告) and special reports (专报), seed 三(二), 三(四): assembled from
the matters' progress and the activities' findings, edited, reviewed, read by the leader."""

from datetime import UTC, datetime

from results_helpers import (
    API,
    approve_report,
    as_,
    do,
    finish_matter,
    get,
    open_docx,
    register_matter,
    run_until,
    submit_report,
    text_of,
)

PERIOD = {"period_start": "2026-03-01", "period_end": "2026-04-30"}


def _matters(client) -> tuple[dict, dict]:
    good = register_matter(client, "关于加快推进城市更新项目的批示", lead="320000-FGW")
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    finish_matter(client, good)
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    return good, late


def _body(**extra) -> dict:
    return {
        "kind": "report",
        "title": "关于2026年一季度省政府督查事项落实情况的督查报告",
        **PERIOD,
        "recipients": ["320000-GOV"],
        **extra,
    }


def test_report_is_assembled_from_the_matters(matter_client):
    # seed 三(四): a report with situation, analysis and recommendations (有情况、有分析、有建议).
    client = matter_client
    good, late = _matters(client)
    report = submit_report(client, _body())
    assert report["status"] == "drafting"
    assert set(report["matter_ids"]) == {good["id"], late["id"]}
    situation = report["situation"]
    assert "共督查事项2项" in situation and "已办结1项" in situation and "红灯1项" in situation
    assert "按时完成率" in situation
    assert "已按要求办结。" in situation  # the closed matter's latest progress report
    assert "江苏省住房和城乡建设厅" in report["analysis"]
    assert "督办单" in report["recommendations"]
    assert [r["code"] for r in report["matter_rows"]] == [good["code"], late["code"]]
    assert [t["element_id"] for t in report["ready_tasks"]] == ["edit_report"]


def test_office_edits_head_returns_then_approves_and_the_document_opens(matter_client):
    client = matter_client
    good, late = _matters(client)
    report = submit_report(client, _body(matter_ids=[late["id"], good["id"]]))
    instance = report["instance_id"]
    do(client, "office", "edit_report", {"analysis": "住建厅重部署轻落实。"}, instance)
    do(
        client,
        "head",
        "review_report_draft",
        {"decision": "return", "comment": "建议部分要具体"},
        instance,
    )
    state = get(client, f"/supervision-reports/{report['id']}")
    assert state["status"] == "drafting" and state["comment"] == "建议部分要具体"
    long_text = "一是压实责任。" * 3000  # a very long paragraph
    do(
        client,
        "office",
        "edit_report",
        {"recommendations": long_text + "\n二是强化督办。"},
        instance,
    )
    do(client, "head", "review_report_draft", {"decision": "approve"}, instance)
    approved = get(client, f"/supervision-reports/{report['id']}")
    assert approved["status"] == "approved" and approved["doc_number"] == "苏督报〔2026〕1号"
    assert approved["analysis"] == "住建厅重部署轻落实。"
    document = open_docx(client, f"/supervision-reports/{report['id']}/document.docx")
    text = text_of(document)
    assert "关于2026年一季度省政府督查事项落实情况的督查报告" in text
    assert "苏督报〔2026〕1号" in text and "江苏省人民政府：" in text
    assert long_text in [p.text for p in document.paragraphs]
    (table,) = document.tables
    assert [r.cells[1].text for r in table.rows[1:]] == [late["code"], good["code"]]
    assert table.rows[2].cells[4].text == "已办结（绿灯）"


def test_special_report_read_by_the_leader_with_an_instruction(matter_client):
    # seed 三(二): important situations go to the leaders as special reports (专报).
    client = matter_client
    _matters(client)
    body = _body(kind="special", title="关于保障性住房建设进度滞后的专报")
    report = approve_report(client, body, instruction="请住建厅主要负责同志亲自过问，月底前报告。")
    assert report["status"] == "approved" and report["instructed_by"] == "leader"
    assert report["doc_number"] == "苏督专〔2026〕1号"
    text = text_of(open_docx(client, f"/supervision-reports/{report['id']}/document.docx"))
    assert "领导批示" in text and "请住建厅主要负责同志亲自过问" in text


def test_bad_reports_are_refused_naming_the_field(matter_client):
    client = matter_client
    office = as_(client, "office")
    cases = [
        (_body(period_end="2026-02-01"), None),
        (_body(kind="weekly"), "kind"),
        (_body(recipients=[]), "recipients"),
        (_body(recipients=["999999-XXX"]), "recipients/0"),
        (_body(matter_ids=["00000000-0000-0000-0000-000000000000"]), "matter_ids/0"),
        (_body(activity_ids=["00000000-0000-0000-0000-000000000000"]), "activity_ids/0"),
    ]
    for body, field in cases:
        response = client.post(f"{API}/supervision-reports", json=body, headers=office)
        assert response.status_code == 422, (body, response.text)
        if field:
            fields = [e.get("field", "") for e in response.json()["errors"]]
            assert any(f.endswith(field) for f in fields), response.text
    unit = client.post(f"{API}/supervision-reports", json=_body(), headers=as_(client, "fgw"))
    assert unit.status_code == 403
    assert get(client, "/supervision-reports")["total"] == 0


def test_scope_a_city_office_cannot_read_the_provinces_reports(matter_client):
    client = matter_client
    report = submit_report(client, _body())
    city = as_(client, "city_office")
    assert client.get(f"{API}/supervision-reports/{report['id']}", headers=city).status_code == 404
    assert client.get(f"{API}/supervision-reports", headers=city).json()["total"] == 0
    path = f"{API}/supervision-reports/{report['id']}/document.docx"
    assert client.get(path, headers=city).status_code == 404
    assert get(client, f"/supervision-reports/{report['id']}", who="leader")["kind"] == "report"


def test_report_includes_the_activities_of_the_period(matter_client):
    # seed 三(四): the report carries the activities' findings next to the matters' progress.
    client = matter_client
    activity = client.post(
        f"{API}/activities",
        json={
            "title": "关于城市更新项目推进情况的实地督查",
            "content": "核查项目进度",
            "kind": "follow_up",
            "method": "on_site",
            "target_units": ["320000-FGW"],
            "period_start": "2026-03-02",
            "period_end": "2026-04-30",
        },
        headers=as_(client, "office"),
    )
    assert activity.status_code == 201, activity.text
    report = submit_report(client, _body())
    assert report["activity_ids"] == [activity.json()["id"]]
    assert "期内开展督查活动1次" in report["situation"]
    assert "关于城市更新项目推进情况的实地督查" in report["situation"]
    # Outside the period, or named explicitly and not found: nothing, or a 422.
    later = submit_report(client, _body(period_start="2026-06-01", period_end="2026-06-30"))
    assert later["activity_ids"] == []
