"""The escalation ladder (domain.md §7) is a decision table an office can edit and redeploy:
`processes/escalation_ladder.dmn` grades the 督办单 of every escalation, says which urgings make a
bulletin entry and when repeated reds call for a talk or accountability."""

from datetime import UTC, datetime
from pathlib import Path

from conftest import TESTER, login
from results_helpers import API, as_, get, open_docx, register_matter, run_until
from test_notices import _colour_of

from app.results import ladder
from app.results.accountability import MEASURES

LADDER = Path(__file__).resolve().parents[2] / "processes" / "escalation_ladder.dmn"


def test_the_ladder_is_deployed_from_processes(matter_client):
    headers = login(matter_client, **TESTER)
    detail = matter_client.get(f"{API}/decisions/escalation_ladder", headers=headers).json()
    assert (detail["version"], detail["hit_policy"], detail["file_name"]) == (
        1,
        "FIRST",
        "escalation_ladder.dmn",
    )


def test_redeploying_an_edited_ladder_changes_the_grade(matter_client):
    client = matter_client
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    urgings = get(client, f"/matters/{late['id']}")["urgings"]
    first = next(u for u in urgings if u["kind"] in ("escalate", "escalate_leader"))
    path = f"/matters/{late['id']}/urgings/{first['id']}/notice.docx"
    assert _colour_of(open_docx(client, path), "蓝色督办单") == "0070C0"
    # The office decides that a first escalation is already orange, and deploys the table again.
    edited = LADDER.read_bytes().replace(
        b'<outputEntry id="red_first_grade"><text>"blue"</text>',
        b'<outputEntry id="red_first_grade"><text>"orange"</text>',
    )
    assert edited != LADDER.read_bytes()
    deployed = client.post(
        f"{API}/decisions",
        files=[("file", ("escalation_ladder.dmn", edited, "application/xml"))],
        headers=login(client, **TESTER),
    )
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()[0]["version"] == 2
    document = open_docx(client, path)
    assert _colour_of(document, "橙色督办单") == "ED7D31"
    assert _colour_of(document, "蓝色督办单") is None


def test_a_grade_the_notices_do_not_know_is_refused_loudly(matter_client):
    client = matter_client
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    urgings = get(client, f"/matters/{late['id']}")["urgings"]
    first = next(u for u in urgings if u["kind"] in ("escalate", "escalate_leader"))
    edited = LADDER.read_bytes().replace(b'<text>"blue"</text>', b'<text>"purple"</text>')
    headers = login(client, **TESTER)
    files = [("file", ("escalation_ladder.dmn", edited, "application/xml"))]
    assert client.post(f"{API}/decisions", files=files, headers=headers).status_code == 201
    response = client.get(
        f"{API}/matters/{late['id']}/urgings/{first['id']}/notice.docx", headers=headers
    )
    assert response.status_code == 422
    assert "purple" in response.json()["detail"]


def _deploy(client, edited: bytes) -> None:
    assert edited != LADDER.read_bytes()
    files = [("file", ("escalation_ladder.dmn", edited, "application/xml"))]
    deployed = client.post(f"{API}/decisions", files=files, headers=login(client, **TESTER))
    assert deployed.status_code == 201, deployed.text


def _escalated_period(client) -> dict:
    """ZJT's matter goes red and gets 督办; the period runs from its first escalation, after its
    deadline and its first urging."""
    late = register_matter(client, "关于保障性住房建设进度的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    urgings = get(client, f"/matters/{late['id']}")["urgings"]
    first = min(u["at"] for u in urgings if u["kind"] in ("escalate", "escalate_leader"))
    return {"period_start": first[:10], "period_end": "2026-04-30"}


def test_redeploying_the_ladder_changes_a_bulletins_suggested_entries(matter_client):
    # domain.md §7: still red after N working days → a bulletin entry, as the table says.
    client = matter_client
    period = _escalated_period(client)
    path = f"{API}/bulletins/suggestions"
    (criticised,) = client.get(path, params=period, headers=as_(client, "office")).json()
    assert criticised["unit_code"] == "320000-ZJT" and criticised["verdict"] == "criticise"
    assert criticised["figures"]["ladder_entries"] == criticised["figures"]["escalated"] >= 1
    assert "督办" in criticised["reason"]
    # The office decides that a 督办单 alone no longer makes a bulletin entry.
    _deploy(
        client,
        LADDER.read_bytes().replace(
            b'_bulletin"><text>true</text>', b'_bulletin"><text>false</text>'
        ),
    )
    assert client.get(path, params=period, headers=as_(client, "office")).json() == []


def test_redeploying_the_ladder_changes_the_accountability_suggestions(matter_client):
    # domain.md §7: repeated reds (as shipped 3) → a proposal; the office lowers it to 2.
    client = matter_client
    for n in (1, 2):
        register_matter(client, f"关于推进老旧小区改造第{n}批项目的批示", lead="320000-ZJT")
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    path = f"{API}/accountability/suggestions"
    assert client.get(path, headers=as_(client, "office")).json() == []
    # `threshold` still overrides the table's count of reds.
    (overridden,) = client.get(path, params={"threshold": 2}, headers=as_(client, "office")).json()
    assert overridden["figures"]["reds"] == 2 and "达到2次" in overridden["reason"]
    lowered = LADDER.read_bytes().replace(
        b'_reds"><text>&gt;= 3</text>', b'_reds"><text>&gt;= 2</text>'
    )
    _deploy(client, lowered)
    (suggestion,) = client.get(path, headers=as_(client, "office")).json()
    assert suggestion["unit_code"] == "320000-ZJT" and suggestion["figures"]["reds"] == 2
    assert suggestion["verdict"] == "accountability_decision"  # it reached the leader in charge
    assert "按督办升级规则" in suggestion["reason"]
    # The table may name the measure itself.
    _deploy(client, lowered.replace(b'"admonitory_talk_or_accountability"', b'"admonitory_talk"'))
    (talk,) = client.get(path, headers=as_(client, "office")).json()
    assert talk["verdict"] == "admonitory_talk"


def test_an_output_the_service_does_not_know_is_a_422_naming_it(matter_client):
    client = matter_client
    period = _escalated_period(client)
    _deploy(
        client,
        LADDER.read_bytes().replace(
            b'<outputEntry id="red_first_proposal"><text>null</text>',
            b'<outputEntry id="red_first_proposal"><text>"public_apology"</text>',
        ),
    )
    path = f"{API}/accountability/suggestions"
    response = client.get(path, headers=as_(client, "office"))
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_ladder_output"
    assert (
        "'proposal'" in response.json()["detail"] and "public_apology" in response.json()["detail"]
    )
    # `threshold` overrides the table's count: the table is not asked.
    assert (
        client.get(path, params={"threshold": 1}, headers=as_(client, "office")).status_code == 200
    )
    _deploy(
        client,
        LADDER.read_bytes().replace(
            b'<outputEntry id="red_first_action"><text>"graded_urging"</text>',
            b'<outputEntry id="red_first_action"><text>"summon"</text>',
        ),
    )
    response = client.get(
        f"{API}/bulletins/suggestions", params=period, headers=as_(client, "office")
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "unknown_ladder_output"
    assert "'action'" in body["detail"] and "summon" in body["detail"]


def test_the_ladders_proposals_are_measures():
    assert set(ladder.PROPOSALS) - {ladder.TALK_OR_ACCOUNTABILITY} <= set(MEASURES)
