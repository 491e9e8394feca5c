"""What a matter's requests send to the database. Its deadlines are read once per transaction
(app.supervision.matter_deadlines): a step reads them once and writes the matter once, and a
later read in the same transaction sees what the transaction added and deleted — never a stale
list. Its detail names its ready tasks from the query that reads them."""

import gc
import uuid
from datetime import UTC, date, datetime

import pytest
from matter_helpers import API, as_, do, fire_due_timers, matter, sign_with_a_return
from sql_sent import parsed_every_time, sent, statements
from sqlalchemy import select

from app.supervision.matter_deadlines import deadlines_of
from app.supervision.models import Matter, MatterDeadline

LEADER_INSTRUCTION = {
    "title": "关于推进数字政府建设的批示",
    "content": "请发改委牵头落实。",
    "category": "leader_instruction",
    "source_type": "leader_instruction",
    "lead_unit": "320000-FGW",
}


def registered(client) -> dict:
    response = client.post(f"{API}/matters", json=LEADER_INSTRUCTION, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_sign_for_reads_the_deadlines_once_and_writes_the_matter_once(matter_client):
    client = matter_client
    mid = registered(client)["id"]
    # domain.md §7: a sign-for due in 3 working days lights the matter yellow on the first day.
    assert matter(client, mid)["light"] == "yellow"
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})

    with statements(client) as seen:
        do(client, "fgw", "sign_for", {"decision": "sign"})

    reads = [s for s in seen if s.startswith("SELECT") and "FROM matter_deadlines" in s]
    writes = [s for s in seen if s.startswith("UPDATE matters ")]
    assert len(reads) == 1, reads
    # The matter's status (handling) and its light (the sign-for closed: green) in one UPDATE.
    assert len(writes) == 1, writes
    after = matter(client, mid)
    assert after["status"] == "handling" and after["light"] == "green"
    sign = [d for d in after["deadlines"] if d["kind"] == "sign_for"]
    assert [d["done_on"] for d in sign] == ["2026-03-02"]
    events = [t["event"] for t in after["timeline"]]
    assert events[-2:] == ["signed_for", "light_changed"]


def _deadline(matter_id: uuid.UUID, kind: str, due: date) -> MatterDeadline:
    return MatterDeadline(
        matter_id=matter_id,
        unit_code="320000-FGW",
        kind=kind,
        label=kind,
        due=due,
        rule="test",
        basis="calendar",
        calendar_basis="official",
        light="green",
    )


def test_a_later_read_sees_what_the_transaction_added_and_deleted(matter_client):
    client = matter_client
    mid = uuid.UUID(registered(client)["id"])
    db = client.app.state.db
    with statements(client) as seen, db.session() as s:
        m = s.get(Matter, mid)
        assert m is not None
        first = deadlines_of(s, m)
        assert first and [d.due for d in first] == sorted(d.due for d in first)
        kinds_before = [d.kind for d in first]

        pending = _deadline(mid, "look_back_report", date(2026, 3, 3))
        s.add(pending)  # not flushed: in session.new
        found = deadlines_of(s, m)
        assert pending in found and pending.id is not None  # flushed then, for its id

        s.add(_deadline(mid, "look_back_report", date(2026, 3, 4)))
        s.flush()  # flushed by someone else, and nobody holds it
        gc.collect()
        kinds = [d.due for d in deadlines_of(s, m, kind="look_back_report")]
        assert kinds == [date(2026, 3, 3), date(2026, 3, 4)]

        s.delete(pending)
        assert pending not in deadlines_of(s, m)
        s.flush()
        assert pending not in deadlines_of(s, m)
        assert [d.due for d in deadlines_of(s, m, kind="look_back_report")] == [date(2026, 3, 4)]
        s.rollback()
    reads = [x for x in seen if x.startswith("SELECT") and "FROM matter_deadlines" in x]
    assert len(reads) == 1, reads

    # The transaction ended: a new one reads the database again, without what was rolled back.
    with db.session() as s:
        m = s.get(Matter, mid)
        assert m is not None
        assert [d.kind for d in deadlines_of(s, m)] == kinds_before


def test_a_matters_detail_names_its_ready_tasks_from_the_query_that_reads_them(matter_client):
    client = matter_client
    mid = registered(client)["id"]
    with statements(client) as seen:
        detail = matter(client, mid)
    (task,) = detail["ready_tasks"]
    assert task["element_id"] == "draft_plan" and task["names"]["zh-CN"]
    reads = [s for s in seen if "process_instances" in s]
    assert len(reads) == 1 and "FROM tasks JOIN process_instances" in reads[0], reads


def test_a_registration_reads_back_none_of_what_it_wrote(matter_client):
    """A new matter's rows are all the transaction's own: the lights and the `matter.assigned`
    events take its deadlines and assignments from the session, the deadlines are inserted lit
    as the lights find them (no UPDATE after the INSERT), and the answer lists the assignments,
    reports, urgings, extensions, timeline and sub-matters the transaction added, and the ready
    tasks its start created (issue 18: seven reads fewer). The answer is what a read gives."""
    client = matter_client
    body = {**LEADER_INSTRUCTION, "co_units": ["320000-ZJT", "320000-JYT"]}
    with statements(client) as seen:
        response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert not [s for s in seen if s.startswith("SELECT") and "FROM matter_deadlines" in s]
    assert not [s for s in seen if s.startswith("UPDATE matter_deadlines")]
    for table in ("assignments", "progress_reports", "urgings", "extension_requests"):
        assert not [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s], table
    assert not [s for s in seen if s.startswith("SELECT") and "FROM matter_timeline" in s]
    assert not [s for s in seen if s.startswith("SELECT") and "matters.parent_id =" in s]
    # Its ready task is the one its process's start created (the start's step knows it).
    assert not [s for s in seen if s.startswith("SELECT") and "FROM tasks" in s]
    assert [t["element_id"] for t in answer["ready_tasks"]] == ["draft_plan"]
    assert len(answer["assignments"]) == 3  # the lead and two co-units
    assert [t["event"] for t in answer["timeline"]][:1] == ["registered"]
    # domain.md §7: a sign-for due in 3 working days is yellow on the first day, as stored.
    db = client.app.state.db
    with db.session() as s:
        rows = s.scalars(
            select(MatterDeadline).where(MatterDeadline.matter_id == uuid.UUID(answer["id"]))
        )
        stored = {str(d.id): d.light for d in rows}
    assert stored == {d["id"]: d["light"] for d in answer["deadlines"]}
    assert {d["light"] for d in answer["deadlines"] if d["kind"] == "sign_for"} == {"yellow"}
    assert matter(client, answer["id"]) == answer


def test_every_statement_of_a_matter_is_one_the_driver_parses_once(matter_client):
    """issue 18: psycopg converts a statement's placeholders once and keeps the result only for
    texts of at most 4,096 bytes and 50 parameters; the step's one statement was 4,145–5,113
    bytes (parsed again on every step, ~0.17 ms each). A matter's whole lifecycle — a start with
    its units, plans, sign-for with a return, reports, the timers' urgings, review, evaluation —
    sends none of its steps' statements that the driver does not keep."""
    client = matter_client
    if client.app.state.db.engine.dialect.name != "postgresql":
        pytest.skip("the driver's cache of converted statements is psycopg's (PostgreSQL)")
    body = {**LEADER_INSTRUCTION, "co_units": ["320000-ZJT"], "division_unit": "320000-GO-ZH1"}
    with sent(client) as seen:
        response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
        assert response.status_code == 201, response.text
        mid = response.json()["id"]
        plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW"}
        do(client, "office", "draft_plan", {**plan, "joint": True})
        do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
        do(client, "head", "approve_plan", {"decision": "approve"})
        sign_with_a_return(client)
        do(client, "jyt", "report_to_lead", {"report": "已完成摸底", "percent": 50})
        fire_due_timers(client, datetime(2026, 4, 2, 1, 0, tzinfo=UTC))  # remind, then urge
        do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
        do(client, "office", "review_report", {"decision": "reject", "comment": "请补充"})
        do(client, "fgw", "submit_final_report", {"report": "已补充", "finished": True})
        do(client, "office", "review_report", {"decision": "accept"})
        units = [
            {"unit": "320000-FGW", "timeliness": "fair", "quality": "good"},
            {"unit": "320000-JYT", "timeliness": "good", "quality": "good"},
        ]
        do(client, "office", "evaluate_units", {"evaluations": units})
    assert matter(client, mid)["status"] == "closed"
    # The engine's statement of each step and the audit's with its events (the ORM's multi-row
    # INSERTs vary with their number of rows: the driver leaves them out by design).
    built = [(s, p) for s, p in seen if s.lstrip().startswith("WITH new_")]
    steps = [s for s, _ in built if "process_instances" in s]
    assert len(steps) >= 14, len(steps)  # the start and each completion: one statement
    assert parsed_every_time(built) == []
