"""The audit trail: every change appends a chained row; any edit or deletion is detected."""

import subprocess
import sys

import pytest
from conftest import ROOT, login
from sqlalchemy import delete, event, select, update

from app.identity import audit
from app.identity.models import AuditRecord
from app.identity.principal import Principal

UNIT = {
    "code": "320300-GOV",
    "name": "徐州市人民政府",
    "kind": "government",
    "level": "city",
    "parent_code": "320000-GOV",
}


def _changes(client) -> None:
    admin = login(client, "root", "320000-GO", ["admin"])
    assert client.post("/api/v1/units", json=UNIT, headers=admin).status_code == 201
    renamed = {**UNIT, "name": "徐州市政府"}
    assert client.post("/api/v1/units", json=renamed, headers=admin).status_code == 200
    office = {
        "code": "320300-DCS",
        "name": "徐州市人民政府督查室",
        "kind": "supervision_office",
        "level": "city",
        "parent_code": "320300-GOV",
    }
    assert client.post("/api/v1/units", json=office, headers=admin).status_code == 201


def test_changes_are_recorded_with_who_when_where_and_what(client):
    _changes(client)
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    rows = client.get("/api/v1/audit", params={"object_type": "unit"}, headers=auditor).json()
    assert rows["total"] == 3
    newest = rows["items"][0]
    assert newest["action"] == "unit.create" and newest["object_id"] == "320300-DCS"
    assert newest["actor_sub"] == "root" and newest["actor_unit"] == "320000-GO"
    assert newest["actor_roles"] == ["admin"]
    assert newest["data"]["name"] == "徐州市人民政府督查室"
    assert newest["address"] == "testclient"
    verification = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert verification == {
        "ok": True,
        "checked": 3,
        "archived": 0,
        "first_bad_id": None,
        "reason": None,
    }


def test_editing_one_row_in_the_database_is_detected(client):
    _changes(client)
    db = client.app.state.db
    with db.session() as s:
        second = s.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()[1]
        s.execute(
            update(AuditRecord).where(AuditRecord.id == second).values(data='{"name":"篡改"}')
        )
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    verification = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert verification["ok"] is False
    assert verification["first_bad_id"] == second
    assert "content" in verification["reason"]


def test_deleting_a_row_is_detected_by_the_cli(client, settings):
    _changes(client)
    db = client.app.state.db
    with db.session() as s:
        first = s.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).first()
        s.execute(delete(AuditRecord).where(AuditRecord.id == first))
    result = subprocess.run(
        [sys.executable, "-m", "app", "verify-audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DUCHA_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "BROKEN" in result.stderr


def test_audit_is_for_auditors_and_scoped_to_their_units(client):
    _changes(client)
    handler = login(client, "sun", "320000-FGW", ["unit_handler"])
    assert client.get("/api/v1/audit", headers=handler).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=handler).status_code == 403
    # A city auditor sees only changes concerning units of the city's subtree.
    city_auditor = login(client, "c", "320100-DCS", ["auditor"])
    rows = client.get("/api/v1/audit", headers=city_auditor).json()
    assert rows["total"] == 0


def test_deleting_the_newest_row_is_detected(client):
    _changes(client)
    db = client.app.state.db
    with db.session() as s:
        newest = s.scalars(select(AuditRecord.id).order_by(AuditRecord.id.desc())).first()
        s.execute(delete(AuditRecord).where(AuditRecord.id == newest))
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    verification = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert verification["ok"] is False
    assert "newest rows removed" in verification["reason"]


def test_concurrent_appends_from_two_processes_keep_one_chain(client, settings):
    """Two databases objects (two pools, as two service processes would have) append at once."""
    from concurrent.futures import ThreadPoolExecutor

    from app.db import Database
    from app.identity import audit
    from app.identity.principal import Principal

    databases = [client.app.state.db, Database(settings)]
    principal = Principal(sub="wu", name="吴", unit="320000-DCS", roles=frozenset({"admin"}))

    def append(index: int) -> None:
        data = {"n": index, "text": '督查 "quoted" \\ ü', "nested": {"b": [1, 2.5, None]}}
        databases[index % 2].transaction(
            lambda s: audit.record(
                s, principal, "test.append", object_type="t", object_id=None, data=data
            )
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(append, range(60)))
    databases[1].engine.dispose()
    with client.app.state.db.session() as s:
        result = audit.verify(s)
    assert result.ok, result
    assert result.checked == 60


class _Refused(Exception):
    pass


def test_a_row_is_appended_when_its_transaction_commits_never_when_it_rolls_back(client):
    """`record` only adds the row; it is appended with the commit, as the transaction's last
    statement (on PostgreSQL in the COMMIT's round trip), so the chain's lock is held only while
    the server commits — and a transaction that fails after recording leaves no row."""
    db = client.app.state.db
    caller = Principal(sub="root", name="root", unit="320000-DCS", roles=frozenset({"admin"}))

    def rows() -> int:
        with db.session() as session:
            return len(session.scalars(select(AuditRecord.id)).all())

    before = rows()

    def fails(session):
        audit.record(session, caller, "test.act", object_type="test", object_id="a")
        assert not session.scalars(select(AuditRecord.id).where(AuditRecord.object_id == "a")).all()
        raise _Refused

    with pytest.raises(_Refused):
        db.transaction(fails)
    assert rows() == before

    seen: list[str] = []

    def statement(conn, cursor, text, parameters, context, executemany):
        seen.append(text)

    def commits(session):
        audit.record(session, caller, "test.act", object_type="test", object_id="b")
        session.execute(select(AuditRecord.id).limit(1))  # a statement after the record

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        db.transaction(commits)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert rows() == before + 1
    assert "INSERT INTO audit_log" in seen[-1]  # the append went last, after the later SELECT
    auditor = login(client, "chen", "320000-GO", ["auditor"])
    assert client.get("/api/v1/audit/verify", headers=auditor).json()["ok"] is True
