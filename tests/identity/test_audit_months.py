"""Years of data (issue 19): on PostgreSQL the audit trail and the instances' history are kept in
monthly partitions, made ahead by the partitions worker; archiving a month detaches its
partition in one catalogue change and leaves anchors, so that the audit chain stays verifiable
across what is kept — and a row removed any other way still breaks it. SQLite keeps plain
tables and refuses to archive."""

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import ROOT, deploy, login, start
from sqlalchemy import delete, func, select, text

from app import partitions
from app.identity.models import AuditAnchor, AuditRecord
from app.kit.clock import clock
from app.partitions import Month, PartitionError, Partitions

ADMIN = ("root", "320000-GO", ["admin"])
AUDITOR = ("chen", "320000-GO", ["auditor"])


def _change(client, at: datetime, n: int) -> None:
    """One audited change (a unit created) at the instant `at`."""
    clock.freeze(at)
    unit = {
        "code": f"3203{n:02d}-GOV",
        "name": f"第{n}市人民政府",
        "kind": "government",
        "level": "city",
        "parent_code": "320000-GOV",
    }
    response = client.post("/api/v1/units", json=unit, headers=login(client, *ADMIN))
    assert response.status_code == 201, response.text


def _verify(client) -> dict:
    return client.get("/api/v1/audit/verify", headers=login(client, *AUDITOR)).json()


@pytest.fixture
def pg_client(client):
    if client.app.state.db.is_sqlite:
        pytest.skip("months are partitions on PostgreSQL only")
    yield client
    clock.reset()


def _where(session, table: str) -> dict[str, int]:
    rows = session.execute(
        text(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1")
    )
    return dict(rows.all())


def test_history_and_audit_are_kept_by_month_with_the_coming_months_made(pg_client):
    db = pg_client.app.state.db
    deploy(pg_client, "five_steps.bpmn")
    start(pg_client, "five_steps")
    now = Month.of(clock.now())
    with db.session() as session:
        connection = session.connection()
        assert partitions.partitioned(connection)
        for table in partitions.MONTHLY:
            made = partitions.months(connection, table)
            assert all(now.next(k) in made for k in range(partitions.AHEAD + 1)), table
        # this month's rows are in this month's partition, none in the default one
        assert set(_where(session, "history_events")) == {f"history_events_{now.suffix()}"}
        assert set(_where(session, "audit_log")) == {f"audit_log_{now.suffix()}"}


def test_archiving_a_month_leaves_anchors_and_the_chain_verifiable(pg_client):
    db = pg_client.app.state.db
    january, february = Month(2020, 1), Month(2020, 2)
    _change(pg_client, datetime(2020, 1, 10, tzinfo=UTC), 1)
    _change(pg_client, datetime(2020, 1, 20, tzinfo=UTC), 2)
    # a change made at the month's edge commits after one of the next month: in the chain
    # (ids) a February row sits between January's rows
    _change(pg_client, datetime(2020, 2, 1, 0, 0, 1, tzinfo=UTC), 3)
    _change(pg_client, datetime(2020, 1, 31, 23, 59, 59, tzinfo=UTC), 4)
    _change(pg_client, datetime(2020, 2, 10, tzinfo=UTC), 5)
    with db.session() as session:  # no partition of 2020 yet: the rows wait in the default one
        assert _where(session, "audit_log") == {"audit_log_default": 5}

    clock.freeze(datetime(2020, 4, 5, tzinfo=UTC))
    made = db.transaction(lambda s: Partitions.keep_ahead(s.connection()))
    assert made >= 2 + 2  # January and February (strays), and April to July of each table
    with db.session() as session:
        assert _where(session, "audit_log") == {"audit_log_2020_01": 3, "audit_log_2020_02": 2}
    assert _verify(pg_client)["ok"] is True

    # refused, naming what is wrong, and nothing changes
    for table, month, says in [
        ("audit_log", Month(2020, 4), "before the current one"),
        ("audit_log", Month(2019, 12), "no partition"),
        ("matters", january, "only history_events, audit_log"),
    ]:
        with pytest.raises(PartitionError, match=says):
            db.transaction(lambda s, t=table, m=month: partitions.archive(s, t, m))

    name = db.transaction(lambda s: partitions.archive(s, "audit_log", january))
    assert name == "audit_log_2020_01"
    with db.session() as session:
        assert _where(session, "audit_log") == {"audit_log_2020_02": 2}
        runs = session.scalars(select(AuditAnchor).order_by(AuditAnchor.first_id)).all()
        assert [(a.rows, a.partition) for a in runs] == [(2, name), (1, name)]  # around row 3
        kept = session.scalar(text(f"SELECT count(*) FROM {name}"))  # detached, kept to dump
        assert kept == 3
    verification = _verify(pg_client)
    assert verification == {
        "ok": True,
        "checked": 2,
        "archived": 3,
        "first_bad_id": None,
        "reason": None,
    }
    with pytest.raises(PartitionError, match="no partition"):  # archived already
        db.transaction(lambda s: partitions.archive(s, "audit_log", january))

    # a February row removed without archiving still breaks the chain
    with db.session() as session:
        newest = session.scalar(select(func.max(AuditRecord.id)))
        session.execute(delete(AuditRecord).where(AuditRecord.id == newest))
    assert _verify(pg_client)["ok"] is False
    db.transaction(lambda s: partitions.archive(s, "audit_log", february, drop=True))
    with db.session() as session:
        session.execute(text(f"DROP TABLE {name}"))
        assert session.scalar(text("SELECT to_regclass('audit_log_2020_02')")) is None


def test_an_earlier_row_removed_before_an_archived_month_is_named(pg_client):
    db = pg_client.app.state.db
    for day in (3, 4, 5):
        _change(pg_client, datetime(2020, 5, day, tzinfo=UTC), day)
    _change(pg_client, datetime(2020, 6, 1, tzinfo=UTC), 9)
    clock.freeze(datetime(2020, 7, 1, tzinfo=UTC))
    db.transaction(lambda s: Partitions.keep_ahead(s.connection()))
    with db.session() as session:
        first = session.scalar(select(func.min(AuditRecord.id)))
        rows_of_june = session.scalar(text("SELECT count(*) FROM audit_log_2020_06"))
        assert rows_of_june == 1
    db.transaction(lambda s: partitions.archive(s, "audit_log", Month(2020, 6), drop=True))
    with db.session() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == first))
    verification = _verify(pg_client)
    assert verification["ok"] is False
    assert verification["first_bad_id"] == first + 1


def test_sqlite_keeps_plain_tables_and_refuses_to_archive(client, settings):
    if not client.app.state.db.is_sqlite:
        pytest.skip("the SQLite half")
    db = client.app.state.db
    assert db.transaction(lambda s: Partitions.keep_ahead(s.connection())) == 0
    with pytest.raises(PartitionError, match="PostgreSQL only"):
        db.transaction(lambda s: partitions.archive(s, "audit_log", Month(2020, 1)))
    result = subprocess.run(
        [sys.executable, "-m", "app", "archive", "audit_log", "2020-13"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DUCHA_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert "month '2020-13': expected YYYY-MM" in result.stderr


def test_the_cli_lists_months_and_archives_one(pg_client, settings):
    _change(pg_client, datetime(2020, 9, 9, tzinfo=UTC), 1)
    clock.reset()
    env = {"DUCHA_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}

    def ducha(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    listed = ducha("partitions")
    assert listed.returncode == 0, listed.stderr
    assert "rows in audit_log_default" in listed.stdout
    assert "rows in outbox_events_default" in listed.stdout
    refused = ducha("archive", "outbox_events", "2020-09")
    assert refused.returncode != 0
    assert "the outbox's months go by its retention window" in refused.stderr
    pg_client.app.state.db.transaction(lambda s: Partitions.keep_ahead(s.connection()))
    archived = ducha("archive", "audit_log", "2020-09", "--drop")
    assert archived.returncode == 0, archived.stderr
    assert "detached and dropped (audit_log_2020_09)" in archived.stdout
    verified = ducha("verify-audit")
    assert verified.returncode == 0
    assert "(and 1 of archived months, by anchors)" in verified.stdout


def test_months_are_calendar_months_in_utc():
    assert Month.parse("2021-03") == Month(2021, 3) and str(Month(2021, 3)) == "2021-03"
    assert Month(2021, 3).next(10) == Month(2022, 1) and Month(2022, 1).next(-1) == Month(2021, 12)
    assert Month.of(datetime(2021, 12, 31, 23, 59, tzinfo=UTC)).next().start == datetime(
        2022, 1, 1, tzinfo=UTC
    )
    assert partitions.between(Month(2021, 11), Month(2022, 2)) == [
        Month(2021, 11),
        Month(2021, 12),
        Month(2022, 1),
        Month(2022, 2),
    ]
    for wrong in ("2021-13", "2021-3", "March", ""):
        with pytest.raises(PartitionError, match="expected YYYY-MM"):
            Month.parse(wrong)
    assert partitions.is_partition("audit_log_2021_03") and partitions.is_partition(
        "history_events_default"
    )
    assert not partitions.is_partition("matters_2021_03")
    assert partitions.is_partition("outbox_event_units_2027_01")


def test_a_months_outbox_ids_are_a_block_of_its_own_after_the_months_before():
    # issue 19: the outbox is partitioned by the month's block of ids
    assert partitions.block_start(Month(2026, 12)) == (2026 * 12 + 11) * 2**32
    for month in partitions.between(Month(2026, 11), Month(2027, 2)):
        assert partitions.block_start(month.next()) - partitions.block_start(month) == 2**32
    assert partitions.block_start(Month(9999, 12).next()) < 2**63  # a bigint holds them all
    assert not partitions.is_partition("audit_log")
