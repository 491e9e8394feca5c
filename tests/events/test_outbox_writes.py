"""How a transaction's events reach the outbox: with the audit row's statement on PostgreSQL
(sent last, with the COMMIT), at commit otherwise — every event once, in the order emitted, with
its units."""

from conftest import login
from sqlalchemy import delete, event, select

from app.events.models import OutboxEvent, OutboxEventUnit
from app.events.outbox import emit
from app.identity import audit
from app.identity.models import AuditChainHead, AuditRecord
from app.identity.principal import Principal

CALLER = Principal(sub="root", name="root", unit="320000-DCS", roles=frozenset({"admin"}))


def _statements(db, work) -> list[str]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        db.transaction(work)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return seen


def _events(db) -> list[tuple[str, str | None, list[str]]]:
    with db.session() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        units = session.execute(select(OutboxEventUnit.event_row_id, OutboxEventUnit.unit_code))
        by_row: dict[int, list[str]] = {}
        for row_id, code in units:
            by_row.setdefault(row_id, []).append(code)
        return [(r.type, r.subject, sorted(by_row.get(r.id, []))) for r in rows]


def _emit(session, n: int, units: list[str]) -> None:
    emit(session, "test.happened", subject=f"s{n}", data={"n": n}, units=units)


def test_events_before_and_after_the_audit_row_are_written_once_in_order(client):
    db = client.app.state.db
    with db.session() as session:
        before = len(session.scalars(select(OutboxEvent.id)).all())

    def work(session):
        _emit(session, 1, ["320000-DCS", "320100-DCS"])
        _emit(session, 2, [])
        audit.record(session, CALLER, "test.act", object_type="test", object_id="x")
        _emit(session, 3, ["320100-DCS"])  # after the audit row: it is appended at commit

    statements = _statements(db, work)
    events = _events(db)[before:]
    assert events == [
        ("ducha.test.happened", "s1", ["320000-DCS", "320100-DCS"]),
        ("ducha.test.happened", "s2", []),
        ("ducha.test.happened", "s3", ["320100-DCS"]),
    ]
    writes = [s for s in statements if "outbox_events" in s]
    if db.engine.dialect.name == "postgresql":
        # all three and their units ride with the audit append, the transaction's last statement
        assert len(writes) == 1 and "audit_log" in writes[0] and writes[0] == statements[-1]
    else:
        assert writes and all("audit_log" not in s for s in writes)  # at commit, on their own


def test_events_are_written_once_when_the_audit_head_must_be_recreated(client):
    db = client.app.state.db
    with db.session() as session:
        session.execute(delete(AuditChainHead))
        before = len(session.scalars(select(OutboxEvent.id)).all())
        audits = len(session.scalars(select(AuditRecord.id)).all())

    def work(session):
        _emit(session, 1, ["320000-DCS"])
        audit.record(session, CALLER, "test.act", object_type="test", object_id="x")

    _statements(db, work)
    assert _events(db)[before:] == [("ducha.test.happened", "s1", ["320000-DCS"])]
    with db.session() as session:
        assert len(session.scalars(select(AuditRecord.id)).all()) == audits + 1
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    verification = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert verification["ok"] is True, verification
