"""Urging notices (催办通知) and graded 督办单 as .docx, domain.md §7: still red after N working
days → graded urging notice, blue → orange → red by the order of escalation."""

from datetime import UTC, datetime, timedelta

from results_helpers import API, as_, do, get, open_docx, register_matter, run_until, text_of

from app.kit.clock import clock


def _colour_of(document, text: str) -> str | None:
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if run.text == text:
                return str(run.font.color.rgb)
    return None


def test_escalations_are_graded_blue_orange_red(matter_client):
    client = matter_client
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    # Reported late, sent back: the report is due again and the escalation ladder runs again.
    do(
        client,
        "zjt",
        "submit_final_report",
        {"report": "正在办理。", "finished": True},
        late["instance_id"],
    )
    do(
        client,
        "office",
        "review_report",
        {"decision": "reject", "comment": "未办结"},
        late["instance_id"],
    )
    run_until(client, clock.now() + timedelta(days=1))
    urgings = get(client, f"/matters/{late['id']}")["urgings"]
    escalations = [u for u in urgings if u["kind"] in ("escalate", "escalate_leader")]
    assert len(escalations) >= 3, urgings
    path = f"/matters/{late['id']}/urgings/{{}}/notice.docx"
    expected = [("蓝色督办单", "0070C0"), ("橙色督办单", "ED7D31"), ("红色督办单", "C00000")]
    for urging, (label, colour) in zip(escalations, expected, strict=False):
        document = open_docx(client, path.format(urging["id"]))
        assert _colour_of(document, label) == colour
        text = text_of(document)
        assert "督办通知" in text and late["code"] in text and "江苏省住房和城乡建设厅" in text
        assert urging["notice"] in text
    # The unit itself may fetch its notice; a plain urging has no grade.
    urge = next(u for u in urgings if u["kind"] == "urge")
    text = text_of(open_docx(client, path.format(urge["id"]), who="zjt"))
    assert "催办通知" in text and "督办单" not in text


def test_notice_scope_and_unknown_ids(matter_client):
    client = matter_client
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    other = register_matter(client, "关于城市更新的批示", lead="320000-FGW")
    run_until(client, datetime(2026, 4, 10, 2, 0, tzinfo=UTC))
    urging = get(client, f"/matters/{late['id']}")["urgings"][0]
    base = f"{API}/matters/{late['id']}/urgings/{urging['id']}/notice.docx"
    assert client.get(base, headers=as_(client, "fgw")).status_code == 404  # not its matter
    assert client.get(base, headers=as_(client, "city_office")).status_code == 404
    wrong = f"{API}/matters/{other['id']}/urgings/{urging['id']}/notice.docx"
    assert client.get(wrong, headers=as_(client, "office")).status_code == 404
    assert (
        client.get(
            f"{API}/matters/{late['id']}/urgings/nope/notice.docx", headers=as_(client, "office")
        ).status_code
        == 422
    )
