"""The lists read open work and their order through their own indexes (issue: years of data):
the plan PostgreSQL chooses for a unit's inbox uses the partial open-task index, and the audit
trail filtered by kind reads `(object_type, id)` newest first — checked with sequential scans
disabled, so that a query the index cannot serve (a missing index, a filter it cannot prove) fails
here instead of slowing down at volume. The open state is a literal in the SQL: a prepared
statement's generic plan could not prove a parameter's value for the partial index."""

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from app.engine import filtered_tasks, workable_clause
from app.engine.persist.models import TaskRecord
from app.identity.models import AuditRecord
from app.identity.principal import Principal

HANDLER = Principal(sub="li", name="李", unit="320000-FGW", roles=frozenset({"unit_handler"}))


def _plan(session: Session, query) -> str:
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = session.connection().exec_driver_sql(
        "EXPLAIN " + str(compiled), compiled.construct_params()
    )
    return "\n".join(r[0] for r in rows)


@pytest.fixture
def session(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's")
    engine = create_engine(database_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_a_units_inbox_reads_the_partial_open_task_index_in_order(session):
    query = filtered_tasks(
        session,
        HANDLER,
        state="ready",
        assignee=None,
        unit=None,
        instance_id=None,
        process_key=None,
        element_id=None,
        due_before=None,
        mine=True,
    ).where(workable_clause(HANDLER))
    plan = _plan(session, query.order_by(TaskRecord.created_at, TaskRecord.id).limit(50))
    assert "Index Scan using ix_tasks_ready_" in plan and "Sort" not in plan, plan
    rendered = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    assert "'ready'" in str(rendered), "a literal"


def test_the_audit_trail_of_one_kind_reads_its_index_newest_first(session):
    query = (
        select(AuditRecord)
        .where(AuditRecord.object_type == "matter")
        .order_by(AuditRecord.id.desc())
        .limit(100)
    )
    plan = _plan(session, query)
    assert "ix_audit_log_object_type_id" in plan and "Sort" not in plan, plan
