"""Bulletins (通报), seed 三(二): suggestions from the period's data, the approval chain of
条例 Art. 21, issue to the units in scope, the .docx."""

from datetime import UTC, datetime

from results_helpers import (
    API,
    as_,
    do,
    draft_bulletin,
    finish_matter,
    get,
    inbox,
    issue_bulletin,
    open_docx,
    register_matter,
    run_until,
    text_of,
)

PERIOD = {"period_start": "2026-03-01", "period_end": "2026-04-30"}


def _period_with_a_good_and_a_late_unit(client) -> tuple[dict, dict]:
    """FGW closes its matter on time; ZJT lets its matter go red and gets 督办 twice."""
    good = register_matter(client, "关于加快推进城市更新项目的批示", lead="320000-FGW")
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    finish_matter(client, good)
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    return good, late


def test_suggestions_commend_the_punctual_and_criticise_the_escalated(matter_client):
    # seed 三(二): commend outstanding units, criticise slow ones; domain §7: still red after
    # N working days → 督办 and a bulletin entry.
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    response = client.get(
        f"{API}/bulletins/suggestions", params=PERIOD, headers=as_(client, "office")
    )
    assert response.status_code == 200, response.text
    by_unit = {s["unit_code"]: s for s in response.json()}
    assert by_unit["320000-FGW"]["verdict"] == "commend"
    assert by_unit["320000-FGW"]["matter_ids"] == [good["id"]]
    criticised = by_unit["320000-ZJT"]
    assert criticised["verdict"] == "criticise" and criticised["matter_ids"] == [late["id"]]
    assert criticised["figures"]["escalated"] == 2 and "督办" in criticised["reason"]
    # The list puts criticisms first.
    assert response.json()[0]["verdict"] == "criticise"


def _body(good: dict, late: dict, **extra) -> dict:
    return {
        "title": "关于2026年第一季度省政府督查事项落实情况的通报",
        **PERIOD,
        "body": "按照省政府工作部署，省政府督查室对一季度督查事项落实情况进行了跟踪督查。\n"
        "现将有关情况通报如下。",
        "entries": [
            {
                "unit_code": "320000-FGW",
                "verdict": "commend",
                "reason": "按时办结，成效明显",
                "matter_ids": [good["id"]],
            },
            {
                "unit_code": "320000-ZJT",
                "verdict": "criticise",
                "reason": "超期未报送，经督办仍未办结",
                "matter_ids": [late["id"]],
            },
        ],
        "recipients": ["320100-GOV", "320200-GOV", "320000-FGW", "320000-ZJT"],
        **extra,
    }


def test_bulletin_approved_by_the_leader_is_issued_with_a_document(matter_client):
    # seed 三(二) and 条例 Art. 21: office drafts → office head → leader approves → issued.
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    issued = issue_bulletin(client, _body(good, late))
    assert issued["status"] == "issued" and issued["issued_at"] is not None
    assert issued["approved_by"] == "leader"
    assert issued["doc_number"] == "苏督通〔2026〕1号"
    trail = client.get(
        f"{API}/audit", params={"object_id": issued["id"]}, headers=as_(client, "auditor")
    ).json()["items"]
    assert [a["action"] for a in trail] == ["bulletin.draft"]
    # Each matter concerned says so on its timeline.
    timeline = get(client, f"/matters/{late['id']}")["timeline"]
    assert any(t["event"] == "bulletin" and "通报批评" in t["summary"] for t in timeline)
    # The recipients and the named units read it; the document opens with its content.
    assert get(client, f"/bulletins/{issued['id']}", who="zjt")["status"] == "issued"
    document = open_docx(client, f"/bulletins/{issued['id']}/document.docx", who="city_office")
    text = text_of(document)
    assert "苏督通〔2026〕1号" in text
    assert "关于2026年第一季度省政府督查事项落实情况的通报" in text
    assert "南京市人民政府，无锡市人民政府" in text
    assert "江苏省人民政府督查室" in text and "二〇二六年四月三十日" in text
    commended, criticised = document.tables
    assert [c.text for c in commended.rows[1].cells] == [
        "1",
        "江苏省发展和改革委员会",
        "按时办结，成效明显",
        good["code"],
    ]
    assert criticised.rows[1].cells[1].text == "江苏省住房和城乡建设厅"
    # Title centred, in the official title font for East Asian text.
    title = next(p for p in document.paragraphs if p.text.startswith("关于2026年"))
    fonts = title.runs[0]._r.rPr.rFonts
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "方正小标宋简体"
    )


def test_leader_returns_then_approves_and_no_issue_without_approval(matter_client):
    # 条例 Art. 21: praise or criticism needs the government's or its head's approval.
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    bulletin = draft_bulletin(client, _body(good, late))
    instance = bulletin["instance_id"]
    do(client, "office", "draft_bulletin", {}, instance)
    do(client, "head", "review_bulletin", {"decision": "approve"}, instance)
    # Before approval the office has no issue task, and the named units do not see it.
    assert not [t for t in inbox(client, "office", instance) if t["element_id"] == "issue_bulletin"]
    assert (
        client.get(f"{API}/bulletins/{bulletin['id']}", headers=as_(client, "zjt")).status_code
        == 404
    )
    # A return needs a comment, and goes back to the office's draft.
    refused = client.post(
        f"{API}/tasks/{inbox(client, 'leader', instance)[0]['id']}/complete",
        json={"variables": {"decision": "return"}},
        headers=as_(client, "leader"),
    )
    assert refused.status_code == 422
    do(
        client,
        "leader",
        "approve_bulletin",
        {"decision": "return", "comment": "请补充整改要求"},
        instance,
    )
    state = get(client, f"/bulletins/{bulletin['id']}")
    assert state["status"] == "drafting" and state["comment"] == "请补充整改要求"
    assert state["issued_at"] is None
    # The office edits the body and entries in its task, then the chain runs again.
    do(
        client,
        "office",
        "draft_bulletin",
        {
            "body": "现将有关情况通报如下。\n请被通报批评的单位限期整改。",
            "entries": [
                {
                    "unit_code": "320000-ZJT",
                    "verdict": "criticise",
                    "reason": "落实不力",
                    "matter_ids": [late["id"]],
                }
            ],
        },
        instance,
    )
    do(client, "head", "review_bulletin", {"decision": "approve"}, instance)
    do(client, "leader", "approve_bulletin", {"decision": "approve"}, instance)
    assert get(client, f"/bulletins/{bulletin['id']}")["status"] == "approved"
    do(client, "office", "issue_bulletin", {"doc_number": "苏督通〔2026〕9号"}, instance)
    issued = get(client, f"/bulletins/{bulletin['id']}")
    assert issued["status"] == "issued" and issued["doc_number"] == "苏督通〔2026〕9号"
    assert [e["unit_code"] for e in issued["entries"]] == ["320000-ZJT"]
    assert "限期整改" in issued["body"]


def test_leader_rejects(matter_client):
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    bulletin = draft_bulletin(client, _body(good, late))
    instance = bulletin["instance_id"]
    do(client, "office", "draft_bulletin", {}, instance)
    do(client, "head", "review_bulletin", {"decision": "approve"}, instance)
    do(
        client,
        "leader",
        "approve_bulletin",
        {"decision": "reject", "comment": "暂不通报"},
        instance,
    )
    state = get(client, f"/bulletins/{bulletin['id']}")
    assert state["status"] == "rejected" and state["ready_tasks"] == []
    assert (
        client.get(f"{API}/bulletins/{bulletin['id']}", headers=as_(client, "zjt")).status_code
        == 404
    )


def test_bad_bulletins_are_refused_naming_the_field(matter_client):
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    office = as_(client, "office")
    cases = [
        ({"period_end": "2026-02-01"}, 422, None),
        ({"recipients": []}, 422, None),
        ({"recipients": ["999999-XXX"]}, 422, "recipients/0"),
        (
            {"entries": [{"unit_code": "320000-FGW", "verdict": "praise", "reason": "好"}]},
            422,
            None,
        ),
        (
            {
                "entries": [
                    {
                        "unit_code": "320000-FGW",
                        "verdict": "commend",
                        "reason": "按时办结",
                        "matter_ids": ["00000000-0000-0000-0000-000000000000"],
                    }
                ]
            },
            422,
            "entries/0/matter_ids/0",
        ),
    ]
    for change, code, field in cases:
        response = client.post(f"{API}/bulletins", json=_body(good, late, **change), headers=office)
        assert response.status_code == code, (change, response.text)
        if field:
            assert field in [e.get("field") for e in response.json()["errors"]], response.text
    # A unit cannot draft bulletins; a city office cannot name a province department.
    assert (
        client.post(
            f"{API}/bulletins", json=_body(good, late), headers=as_(client, "fgw")
        ).status_code
        == 403
    )
    city = _body(good, late, entries=[], recipients=["320000-FGW"])
    assert (
        client.post(f"{API}/bulletins", json=city, headers=as_(client, "city_office")).status_code
        == 403
    )
    assert get(client, "/bulletins")["total"] == 0


def test_scope_a_city_office_cannot_read_the_provinces_drafts(matter_client):
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    draft = draft_bulletin(client, _body(good, late, recipients=["320000-FGW"]))
    city = as_(client, "city_office")
    assert client.get(f"{API}/bulletins/{draft['id']}", headers=city).status_code == 404
    assert client.get(f"{API}/bulletins", headers=city).json()["total"] == 0
    assert (
        client.get(f"{API}/bulletins/{draft['id']}/document.docx", headers=city).status_code == 404
    )
    # The leader of the province sees it; the city's own draft stays the city's.
    assert get(client, f"/bulletins/{draft['id']}", who="leader")["status"] == "drafting"
    own = draft_bulletin(
        client,
        {"title": "南京市督查通报", **PERIOD, "entries": [], "recipients": ["320100-FGW"]},
        who="city_office",
    )
    assert client.get(f"{API}/bulletins", headers=city).json()["items"][0]["id"] == own["id"]


def test_a_bulletin_naming_many_units_fills_a_long_table(matter_client):
    # Many rows: a province-wide bulletin with 520 entries opens with every row.
    client = matter_client
    good, late = _period_with_a_good_and_a_late_unit(client)
    units = ["320000-FGW", "320000-ZJT", "320000-JYT", "320100-GOV", "320200-GOV"]
    entries = [
        {"unit_code": units[i % 5], "verdict": "criticise", "reason": f"第{i + 1}项工作进展缓慢"}
        for i in range(520)
    ]
    issued = issue_bulletin(client, _body(good, late, entries=entries))
    assert len(issued["entries"]) == 520
    document = open_docx(client, f"/bulletins/{issued['id']}/document.docx")
    (criticised,) = document.tables
    assert len(criticised.rows) == 521
    reasons = {row.cells[2].text for row in criticised.rows[1:]}
    assert "第520项工作进展缓慢" in reasons and len(reasons) == 520
