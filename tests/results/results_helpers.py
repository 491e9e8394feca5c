"""Drive supervision reports, bulletins and accountability over REST as the demo users (shared
by the results tests and reusable by end-to-end tests)."""

import io
from datetime import datetime, timedelta

import docx
from fastapi.testclient import TestClient
from rest import API, USERS, as_, do, get, inbox  # noqa: F401 - re-exported for the tests

from app.kit.clock import clock


def open_docx(client: TestClient, path: str, who: str = "office") -> docx.document.Document:
    """Download a .docx and open it with python-docx."""
    response = client.get(f"{API}{path}", headers=as_(client, who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    return docx.Document(io.BytesIO(response.content))


def text_of(document: docx.document.Document) -> str:
    """Every paragraph and table cell of a document, one per line."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# --- matters -------------------------------------------------------------------------------


def register_matter(
    client: TestClient,
    title: str,
    lead: str = "320000-FGW",
    co_units: tuple[str, ...] = (),
    who: str = "office",
) -> dict:
    """Register a leader's instruction (30 days) and bring it to handling: plan approved, every
    unit signed for its part."""
    response = client.post(
        f"{API}/matters",
        json={
            "title": title,
            "content": "请抓紧落实。",
            "category": "leader_instruction",
            "source_type": "leader_instruction",
            "lead_unit": lead,
            "co_units": list(co_units),
            "division_unit": "320000-GO-ZH1",
        },
        headers=as_(client, who),
    )
    assert response.status_code == 201, response.text
    registered = response.json()
    instance = registered["instance_id"]
    do(
        client,
        "office",
        "draft_plan",
        {"plan_title": title, "plan_content": "分工", "lead_unit": lead, "joint": True},
        instance,
    )
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"}, instance)
    do(client, "head", "approve_plan", {"decision": "approve"}, instance)
    for unit in (lead, *co_units):
        do(client, _user_of(unit), "sign_for", {"decision": "sign"}, instance)
    return registered


def _user_of(unit: str) -> str:
    return next(
        who for who, (code, roles) in USERS.items() if code == unit and roles != ["personnel"]
    )


def finish_matter(client: TestClient, registered: dict) -> None:
    """The lead unit reports, the office accepts and evaluates: the matter closes."""
    instance, lead = registered["instance_id"], registered["lead_unit"]
    for co in registered["co_units"]:
        do(client, _user_of(co), "report_to_lead", {"report": "配合意见"}, instance)
    do(
        client,
        _user_of(lead),
        "submit_final_report",
        {"report": "已按要求办结。", "finished": True},
        instance,
    )
    do(client, "office", "review_report", {"decision": "accept"}, instance)
    evaluations = [
        {"unit": u, "timeliness": "good", "quality": "good"}
        for u in [lead, *registered["co_units"]]
    ]
    do(client, "office", "evaluate_units", {"evaluations": evaluations}, instance)


def fire_due_timers(client: TestClient, to: datetime) -> None:
    """Move the clock and let the scheduler fire what is due."""
    clock.freeze(to)
    client.app.state.scheduler.run_due()


def run_until(client: TestClient, end: datetime, step: timedelta = timedelta(days=1)) -> None:
    """Move the clock day by day to `end`, firing timers on the way (reminders, urging, 督办)."""
    now = clock.now()
    while now < end:
        now = min(now + step, end)
        fire_due_timers(client, now)


# --- results -------------------------------------------------------------------------------


def submit_report(client: TestClient, body: dict) -> dict:
    """The office asks for an assembled report; returns its detail."""
    response = client.post(f"{API}/supervision-reports", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def approve_report(client: TestClient, body: dict, instruction: str | None = None) -> dict:
    """A report from draft to approved: the office submits, the office head approves, for a
    special report the leader reads it (with an instruction, when given)."""
    report = submit_report(client, body)
    instance = report["instance_id"]
    do(client, "office", "edit_report", {}, instance)
    do(client, "head", "review_report_draft", {"decision": "approve"}, instance)
    if report["kind"] == "special":
        data = {"instruction": instruction} if instruction else {}
        do(client, "leader", "read_special_report", data, instance)
    return get(client, f"/supervision-reports/{report['id']}")


def draft_bulletin(client: TestClient, body: dict, who: str = "office") -> dict:
    response = client.post(f"{API}/bulletins", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def issue_bulletin(client: TestClient, body: dict) -> dict:
    """A bulletin from draft to issued: office → office head → leader approves → office issues."""
    bulletin = draft_bulletin(client, body)
    instance = bulletin["instance_id"]
    do(client, "office", "draft_bulletin", {}, instance)
    do(client, "head", "review_bulletin", {"decision": "approve"}, instance)
    do(client, "leader", "approve_bulletin", {"decision": "approve"}, instance)
    do(client, "office", "issue_bulletin", {}, instance)
    return get(client, f"/bulletins/{bulletin['id']}")


def propose(client: TestClient, body: dict) -> dict:
    response = client.post(f"{API}/accountability", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def decide_accountability(client: TestClient, body: dict, transfer: dict | None = None) -> dict:
    """A proposal from draft to decided (and, for clue_transfer, transferred with `transfer`:
    receiving_authority and transferred_on)."""
    case = propose(client, body)
    instance = case["instance_id"]
    do(client, "office", "draft_accountability", {}, instance)
    do(client, "head", "review_accountability", {"decision": "approve"}, instance)
    do(client, "leader", "approve_accountability", {"decision": "approve"}, instance)
    if body["measure"] == "clue_transfer":
        do(client, "office", "transfer_clues", transfer or {}, instance)
    return get(client, f"/accountability/{case['id']}")
