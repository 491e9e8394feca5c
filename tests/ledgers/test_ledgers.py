"""Ledgers (台账) people actually use, as .xlsx: matters with the list's filters (1,000+ rows),
the overdue list, rectifications — opened with openpyxl and checked against the API."""

from datetime import date, datetime
from io import BytesIO
from urllib.parse import unquote

import pytest
from conftest import login
from openpyxl import load_workbook
from rectification.rectification_helpers import (
    confirm_plan,
    detail,
    fire_due_timers,
    open_rectification,
    report,
    submit_plan,
    verify,
)
from supervision.matter_helpers import API, as_

from app.kit.timezone import CHINA

FGW, ZJT, JYT = "320000-FGW", "320000-ZJT", "320000-JYT"
MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _open(response) -> list[tuple]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA
    book = load_workbook(BytesIO(response.content))
    return list(book.worksheets[0].values)


def _filename(response) -> str:
    return unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])


def _register(client, i: int, **extra) -> dict:
    body = {
        "title": f"关于推进第{i}批重点项目建设的督查事项",
        "content": "请按期报送进展",
        "category": "key_work",
        "source_type": "major_decision",
        "explicit_due": "2026-06-30",
        "lead_unit": [FGW, ZJT, JYT][i % 3],
        **extra,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def test_the_matter_ledger_has_every_matter_of_the_list(matter_client, database_url):
    client = matter_client
    # Many rows (write-only mode): 1,050 on SQLite, fewer on PostgreSQL to keep the run short.
    count = 1050 if database_url.startswith("sqlite") else 150
    for i in range(count - 1):
        _register(client, i)
    _register(
        client,
        count,
        title="关于加快推进城市更新项目的批示",
        category="leader_instruction",
        source_type="leader_instruction",
        source_ref="省长批示〔2026〕12号",
        explicit_due=None,
        co_units=[JYT] if count % 3 != 2 else [FGW],
    )
    exporter = login(client, sub="zhao.leader", unit="320000-GOV", roles=["leader"])
    response = client.get(f"{API}/ledgers/matters.xlsx", headers=exporter)
    rows = _open(response)
    assert _filename(response) == "督查事项台账_2026-03-02.xlsx"
    assert rows[0][:5] == ("序号", "事项编号", "事项名称", "类别", "来源")
    assert len(rows) == count + 1
    assert rows[1][0] == 1 and rows[-1][0] == count
    codes = {r[1] for r in rows[1:]}
    assert len(codes) == count
    instruction = next(r for r in rows[1:] if r[2] == "关于加快推进城市更新项目的批示")
    assert instruction[3:6] == ("领导批示交办", "领导批示", "省长批示〔2026〕12号")
    assert instruction[8].date() == date(2026, 3, 2)  # a date cell
    assert instruction[9].date() == date(2026, 4, 1)  # seed 三(一): 30 days
    # domain.md §7: lit at registration — the sign-for is due in 3 working days, so yellow.
    assert instruction[10:12] == ("制定方案", "黄灯")
    # The list's filters apply, and the ledger agrees with GET /matters.
    params = {"category": "leader_instruction", "q": "城市更新"}
    listed = client.get(f"{API}/matters", params=params, headers=exporter).json()
    filtered = _open(client.get(f"{API}/ledgers/matters.xlsx", params=params, headers=exporter))
    assert [r[1] for r in filtered[1:]] == [m["code"] for m in listed["items"]]
    by_unit = _open(
        client.get(f"{API}/ledgers/matters.xlsx", params={"unit": JYT}, headers=exporter)
    )
    assert all("江苏省教育厅" in (r[6] + (r[7] or "")) for r in by_unit[1:])
    assert len(by_unit) > 1


def test_ledgers_need_the_permission_and_are_scoped(matter_client):
    client = matter_client
    _register(client, 1)
    handler = login(client, sub="sun.fgw", unit=FGW, roles=["unit_handler"])
    for ledger in ("matters", "overdue", "rectifications"):
        assert client.get(f"{API}/ledgers/{ledger}.xlsx", headers=handler).status_code == 403
    city = login(client, sub="zheng.nj", unit="320100-DCS", roles=["supervision_office"])
    assert len(_open(client.get(f"{API}/ledgers/matters.xlsx", headers=city))) == 1
    bad = client.get(f"{API}/ledgers/matters.xlsx", params={"light": "blue"}, headers=city)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.light"


def test_the_overdue_list_and_the_rectification_ledger_agree_with_the_records(matter_client):
    client = matter_client
    office = as_(client, "office")
    matter = _register(client, 0)  # FGW leads; its plan is not even approved
    rectification = open_rectification(client, due="2026-03-20", days=None, verify_on_site=True)
    for unit in (FGW, ZJT):
        submit_plan(client, rectification, unit)
        confirm_plan(client, rectification, unit)
    report(client, rectification, FGW)
    verify(client, rectification, FGW, accept=False, comment="现场核查发现仍有问题")
    fire_due_timers(client, datetime(2026, 3, 18, 10, 0, tzinfo=CHINA))
    report(client, rectification, FGW)
    verify(client, rectification, FGW)
    # Past the rectification's due day and the matter's sign-for deadline (5 March).
    fire_due_timers(client, datetime(2026, 3, 23, 9, 0, tzinfo=CHINA))

    overdue = _open(client.get(f"{API}/ledgers/overdue.xlsx", headers=office))
    assert overdue[0] == (
        "序号",
        "类型",
        "编号",
        "名称",
        "时限事项",
        "责任单位代码",
        "责任单位",
        "时限",
        "逾期天数",
        "催办督办次数",
        "状态灯",
    )
    rows = {(r[1], r[2], r[5]): r for r in overdue[1:]}
    sign_for = rows[("督查事项", matter["code"], FGW)]
    assert sign_for[4] == "提出不属本单位职责的意见"  # the sign-for deadline (domain.md §5)
    assert sign_for[7].date() == date(2026, 3, 5) and sign_for[8] == 18
    assert (sign_for[9], sign_for[10]) == (0, "红灯")  # past due: red (domain.md §7)
    part = rows[("限期整改", rectification["code"], ZJT)]
    assert (part[4], part[6], part[8], part[9], part[10]) == (
        "整改报告",
        "江苏省住房和城乡建设厅",
        3,
        1,
        "红灯",
    )
    assert ("限期整改", rectification["code"], FGW) not in rows  # accepted
    assert [r[8] for r in overdue[1:]] == sorted((r[8] for r in overdue[1:]), reverse=True)

    state = detail(client, rectification["id"])
    ledger = _open(client.get(f"{API}/ledgers/rectifications.xlsx", headers=office))
    assert ledger[0][:4] == ("序号", "整改编号", "整改事项", "问题")
    by_unit = {r[4]: r for r in ledger[1:]}
    assert set(by_unit) == {FGW, ZJT}
    for part_state in state["parts"]:
        row = by_unit[part_state["unit_code"]]
        assert row[1] == state["code"] and row[3] == "项目审批超时限；资金拨付不及时"
        assert row[6].date().isoformat() == part_state["due"]
        assert row[8] == {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}[part_state["light"]]
        assert (row[9], row[10]) == (part_state["plan_returns"], part_state["send_backs"])
        assert row[14] == len([u for u in part_state["urgings"] if u["kind"] != "remind"])
    fgw, zjt = by_unit[FGW], by_unit[ZJT]
    assert (fgw[7], fgw[12], fgw[13], fgw[15]) == ("整改到位", "按期", 0, "实地核查")
    assert fgw[11].date() == date(2026, 3, 18) and "整改到位" in fgw[16]
    assert (zjt[7], zjt[8], zjt[12]) == ("整改中", "红灯", None)
    only_red = _open(
        client.get(f"{API}/ledgers/rectifications.xlsx", params={"overdue": False}, headers=office)
    )
    assert len(only_red) == 1


@pytest.mark.parametrize("ledger", ["overdue", "rectifications"])
def test_empty_ledgers_have_their_headers(matter_client, ledger):
    rows = _open(
        matter_client.get(f"{API}/ledgers/{ledger}.xlsx", headers=as_(matter_client, "office"))
    )
    assert len(rows) == 1 and rows[0][0] == "序号"
