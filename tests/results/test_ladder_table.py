"""The escalation ladder (domain.md §7) is a decision table an office can edit and redeploy:
`processes/escalation_ladder.dmn` grades the 督办单 of every escalation."""

from datetime import UTC, datetime
from pathlib import Path

from conftest import TESTER, login
from results_helpers import API, get, open_docx, register_matter, run_until
from test_notices import _colour_of

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
