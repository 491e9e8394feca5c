"""domain.md §9, seed 三(三): performance scores per unit and period, from matters driven through
their lifecycle over REST, a rectification and issued bulletins — every point explained."""

import uuid
from datetime import UTC, datetime
from io import BytesIO

import pytest
from conftest import login
from openpyxl import load_workbook
from rectification.rectification_helpers import drive_to_accepted, open_rectification
from supervision.matter_helpers import API, as_, do, fire_due_timers

from app.kit.clock import clock
from app.results.models import Bulletin, BulletinEntry

FGW, ZJT, JYT = "320000-FGW", "320000-ZJT", "320000-JYT"
PERIOD = {"period_start": "2026-03-01", "period_end": "2026-06-30"}


def personnel(client) -> dict[str, str]:
    # 组织人事: reads the scores of its government's subtree.
    return login(client, sub="chu.hr", unit="320000-GOV", roles=["personnel"])


def head(client) -> dict[str, str]:
    return login(client, sub="li.head", unit="320000-DCS", roles=["office_head"])


def _register(client, **body) -> dict:
    payload = {"content": "抓紧落实", "division_unit": "320000-GO-ZH1", **body}
    response = client.post(f"{API}/matters", json=payload, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def _npc_matter_answered(client) -> dict:
    """An NPC suggestion led by JYT: answered on time, the proposer basically satisfied."""
    matter = _register(
        client,
        title="关于加强中小学课后服务的建议",
        category="proposal",
        source_type="npc_suggestion",
        lead_unit=JYT,
    )
    do(
        client,
        "office",
        "draft_plan",
        {"plan_title": "方案", "plan_content": "分工", "lead_unit": JYT, "joint": False},
    )
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "jyt", "sign_for", {"decision": "sign"})
    do(client, "jyt", "submit_final_report", {"report": "已答复代表", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {"evaluations": [{"unit": JYT, "timeliness": "good", "quality": "good"}]},
    )
    do(client, "office", "record_satisfaction", {"satisfaction": "basically_satisfied"})
    return matter


def _instruction_late_and_rejected(client) -> dict:
    """A leader's instruction led by FGW (ZJT co-operating): urged when late, its report
    rejected once, then accepted and closed."""
    matter = _register(
        client,
        title="关于加快推进城市更新项目的批示",
        category="leader_instruction",
        source_type="leader_instruction",
        lead_unit=FGW,
        co_units=[ZJT],
    )
    do(
        client,
        "office",
        "draft_plan",
        {"plan_title": "方案", "plan_content": "分工", "lead_unit": FGW, "joint": True},
    )
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "zjt", "sign_for", {"decision": "sign"})
    do(client, "zjt", "report_to_lead", {"report": "配合意见"})
    fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))  # past 1 April: 催办
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充资金落实情况"})
    do(client, "fgw", "submit_final_report", {"report": "补充后的办理情况", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {"evaluations": [{"unit": FGW, "timeliness": "poor", "quality": "fair"}]},
    )
    return matter


def _issue_bulletin(client, matter_id: str) -> str:
    """An issued bulletin commending JYT and criticising FGW (its process is another part's;
    the scores read only the issued rows)."""

    def work(s):
        bulletin = Bulletin(
            id=uuid.uuid4(),
            code="TB-2026-0001",
            title="关于督查情况的通报",
            body="",
            owner_unit="320000-DCS",
            recipients=[FGW, JYT],
            status="issued",
            created_by="office",
            created_at=clock.now(),
            issued_at=clock.now(),
        )
        s.add(bulletin)
        s.flush()
        s.add(
            BulletinEntry(
                bulletin_id=bulletin.id,
                unit_code=JYT,
                verdict="commend",
                reason="成效明显",
                matter_ids=[],
            )
        )
        s.add(
            BulletinEntry(
                bulletin_id=bulletin.id,
                unit_code=FGW,
                verdict="criticise",
                reason="进展缓慢",
                matter_ids=[matter_id],
            )
        )
        return bulletin.code

    return client.app.state.engine.db.transaction(work)


@pytest.fixture
def year(matter_client):
    """Two matters, a rectification and a bulletin within the period."""
    client = matter_client
    npc = _npc_matter_answered(client)
    rectification = open_rectification(client, units=[JYT], days=20)
    drive_to_accepted(client, rectification)
    instruction = _instruction_late_and_rejected(client)
    bulletin = _issue_bulletin(client, instruction["id"])
    return {
        "npc": npc["code"],
        "instruction": instruction["code"],
        "rectification": rectification["code"],
        "bulletin": bulletin,
    }


def _by_unit(result: dict) -> dict[str, dict]:
    return {item["unit_code"]: item for item in result["items"]}


def _line(item: dict, indicator: str) -> dict:
    (line,) = [line for line in item["breakdown"] if line["indicator"] == indicator]
    return line


def test_scores_explain_every_point(matter_client, year):
    client = matter_client
    response = client.get(f"{API}/scores", params=PERIOD, headers=personnel(client))
    assert response.status_code == 200, response.text
    result = response.json()
    units = _by_unit(result)
    assert set(units) == {FGW, ZJT, JYT}
    for item in result["items"]:
        # domain.md §9: the breakdown explains every point.
        assert round(sum(line["points"] for line in item["breakdown"]), 2) == item["total"]
        assert all(line["explanation"] for line in item["breakdown"])
    assert [i["rank"] for i in result["items"]] == [1, 2, 3]
    assert [i["total"] for i in result["items"]] == sorted(
        (i["total"] for i in result["items"]), reverse=True
    )
    fgw, jyt, zjt = units[FGW], units[JYT], units[ZJT]
    # FGW: both final reports late, urged once, rejected once, criticised once, closed.
    assert _line(fgw, "report_on_time")["explanation"].startswith("按时报告 0/2 次")
    assert _line(fgw, "report_on_time")["evidence"] == [year["instruction"]] * 2
    assert _line(fgw, "urgings")["points"] == 8 and _line(fgw, "urgings")["value"] == 1
    assert _line(fgw, "review_rejections")["evidence"] == [year["instruction"]]
    assert _line(fgw, "closure_rate")["explanation"] == "按期办结 1/1 件"
    assert _line(fgw, "bulletins")["points"] == 2.5
    assert _line(fgw, "bulletins")["evidence"] == [year["bulletin"]]
    assert fgw["total"] == 0 + 20 + 5 + 8 + 7.5 + 15 + 2.5 + 10
    # ZJT: its opinion to the lead unit on time.
    assert _line(zjt, "report_on_time")["explanation"] == "按时报告 1/1 次"
    # JYT: on time, rectified on time, commended, the proposer basically satisfied.
    assert _line(jyt, "satisfaction")["points"] == 8
    assert "基本满意 1 件" in _line(jyt, "satisfaction")["explanation"]
    assert _line(jyt, "rectification")["evidence"] == [year["rectification"]]
    assert _line(jyt, "rectification")["explanation"] == "整改按期到位 1/1 项"
    assert _line(jyt, "bulletins")["points"] == 7.5
    assert jyt["total"] == 20 + 20 + 5 + 10 + 10 + 15 + 7.5 + 8
    assert result["items"][0]["unit_code"] == JYT

    only = client.get(
        f"{API}/scores", params={**PERIOD, "unit": FGW}, headers=personnel(client)
    ).json()
    assert [i["unit_code"] for i in only["items"]] == [FGW]
    before = client.get(
        f"{API}/scores",
        params={"period_start": "2026-01-01", "period_end": "2026-02-28"},
        headers=personnel(client),
    ).json()
    assert before["items"] == []


def test_changed_weights_change_the_totals(matter_client, year):
    client = matter_client
    defaults = client.get(f"{API}/scores/weights", headers=personnel(client)).json()
    assert defaults["default"] is True and sum(defaults["weights"].values()) == 100
    assert {i["name"] for i in defaults["indicators"]} == set(defaults["weights"])
    body = {"weights": {"report_on_time": 50, "urgings": 50}, "note": "2026年度考评"}
    # Only the office head (or an admin) sets weights.
    refused = client.put(f"{API}/scores/weights", json=body, headers=as_(client, "office"))
    assert refused.status_code == 403
    saved = client.put(f"{API}/scores/weights", json=body, headers=head(client))
    assert saved.status_code == 200, saved.text
    assert saved.json()["default"] is False and saved.json()["government_code"] == "320000-GOV"
    units = _by_unit(client.get(f"{API}/scores", params=PERIOD, headers=personnel(client)).json())
    assert units[FGW]["total"] == 0 + 40  # no report on time; one urging (−20%)
    assert units[JYT]["total"] == 100
    assert [line["indicator"] for line in units[FGW]["breakdown"]] == [
        "report_on_time",
        "urgings",
    ]


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"report_on_time": 50, "punctuality": 50}, "weights.punctuality"),
        ({"report_on_time": -5, "urgings": 105}, "weights.report_on_time"),
        ({"report_on_time": 50, "urgings": 30}, "weights"),
    ],
)
def test_bad_weights_are_refused_naming_the_field(matter_client, weights, field):
    client = matter_client
    response = client.put(f"{API}/scores/weights", json={"weights": weights}, headers=head(client))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert client.get(f"{API}/scores/weights", headers=head(client)).json()["default"] is True


def test_scores_are_scoped(matter_client, year):
    client = matter_client
    city = login(client, sub="zheng.nj", unit="320100-DCS", roles=["supervision_office"])
    assert client.get(f"{API}/scores", params=PERIOD, headers=city).json()["items"] == []
    handler = login(client, sub="sun.fgw", unit=FGW, roles=["unit_handler"])
    assert client.get(f"{API}/scores", params=PERIOD, headers=handler).status_code == 403
    bad = client.get(
        f"{API}/scores",
        params={"period_start": "2026-06-30", "period_end": "2026-03-01"},
        headers=personnel(client),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period_end"


def test_scores_export_for_personnel_departments(matter_client, year):
    client = matter_client
    response = client.get(f"{API}/scores/export.xlsx", params=PERIOD, headers=personnel(client))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["总分", "得分明细", "考评期间"]
    totals = list(book["总分"].values)
    assert totals[0][:4] == ("排名", "单位代码", "单位名称", "总分")
    assert totals[1][:3] == (1, JYT, "江苏省教育厅")
    lines = list(book["得分明细"].values)
    assert lines[0] == ("单位代码", "单位名称", "指标", "权重", "数值", "得分", "说明", "依据")
    fgw_lines = [row for row in lines[1:] if row[0] == FGW]
    assert len(fgw_lines) == 8
    (fgw_total,) = [row[3] for row in totals[1:] if row[1] == FGW]
    assert sum(row[5] for row in fgw_lines) == pytest.approx(fgw_total) == 68
    assert any("按时报告 0/2 次" in row[6] for row in fgw_lines)
