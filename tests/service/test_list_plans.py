"""The lists read open work and their order through their own indexes (issue: years of data):
the plan PostgreSQL chooses for a unit's inbox uses the partial open-task index, and the audit
trail filtered by kind reads `(object_type, id)` newest first — checked with sequential scans
disabled, so that a query the index cannot serve (a missing index, a filter it cannot prove) fails
here instead of slowing down at volume. The open state is a literal in the SQL: a prepared
statement's generic plan could not prove a parameter's value for the partial index."""

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import start
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from app.console import inbox, stats
from app.engine import filtered_tasks, workable_clause
from app.engine.persist.models import TaskRecord
from app.identity.models import AuditRecord
from app.identity.policy import scope_of
from app.identity.principal import Principal
from app.supervision import queries as matter_queries
from app.supervision.matter_lights import overdue
from app.supervision.models import Matter
from app.supervision.schemas import MatterFilters

UNIT_TASK = Path(__file__).parent.parent / "access" / "unit_task.bpmn"
HANDLER = Principal(sub="li", name="李", unit="320000-FGW", roles=frozenset({"unit_handler"}))


def _plan(session: Session, query, *, in_order: bool = False) -> str:
    """The plan, sequential scans disabled. `in_order`: sorts disabled too, so that the plan
    reads the list's order from an index whenever one can give it, whatever statistics earlier
    tests' rows left behind (autovacuum analyses this shared database at its own moments)."""
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    session.execute(text("SET LOCAL enable_seqscan = off"))
    if in_order:
        session.execute(text("SET LOCAL enable_sort = off"))
    rows = session.connection().exec_driver_sql(
        "EXPLAIN " + str(compiled), compiled.construct_params()
    )
    return "\n".join(r[0] for r in rows)


def _mine(session: Session):
    """The handler's open tasks they may work on: the inbox's `mine`."""
    return filtered_tasks(
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


@pytest.fixture
def session(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's")
    engine = create_engine(database_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_a_units_inbox_reads_the_partial_open_task_index_in_order(session):
    query = _mine(session)
    ordered = query.order_by(TaskRecord.created_at, TaskRecord.id).limit(50)
    plan = _plan(session, ordered, in_order=True)
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
    # each month's partition through its copy of the index (`audit_log_YYYY_MM_object_type_id_idx`),
    # merged in order: no sort of the kind's rows
    assert "object_type_id" in plan and not re.search(r"(^|->\s+)Sort\s+\(", plan, re.M), plan


def test_a_units_matters_are_read_through_the_matter_units_index(session):
    # domain.md §8: a unit reads its own matters and those assigned to it — one semi-join
    # through `matter_units`, not `owner_unit … OR id IN (assignments …)`, which no index serves.
    query = matter_queries.readable(session, HANDLER).order_by(Matter.created_at.desc()).limit(50)
    plan = _plan(session, query)
    assert "matter_units" in plan and ("ix_matter_units" in plan or "matter_units_pkey" in plan)
    assert "assignments" not in plan, plan


def test_overdue_matters_are_read_from_open_work_only(session):
    query = matter_queries.readable(session, HANDLER).where(overdue(date(2026, 12, 6)))
    plan = _plan(session, query.limit(50))
    assert "ix_matter_deadlines_open" in plan, plan
    assert "'closed'" in str(
        query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )


def test_a_units_overdue_list_reads_its_open_matters_only(session):
    # The unit's open matters are their own partial index (`matter_units.open`): the list does
    # not read every matter the unit read over the years.
    listed = matter_queries.filtered(session, HANDLER, MatterFilters(overdue=True))
    plan = _plan(session, listed.order_by(Matter.created_at.desc()).limit(50))
    assert "ix_matter_units_open" in plan and "ix_matter_deadlines_open" in plan, plan
    # The dashboard's live part, likewise: the unit's open matters, and those closed since the
    # summary's refresh (few: through the untallied index, not every matter of the unit).
    scope, everything = scope_of(session, HANDLER), MatterFilters()
    live = stats.unheld(
        session, scope, everything, matter_queries.filtered(session, scope, everything)
    )
    counted = _plan(session, select(func.count()).select_from(live.subquery()))
    assert "ix_matter_units_open" in counted and "ix_matters_untallied" in counted, counted


def test_an_offices_overdue_list_reads_its_scope_through_all_its_links(client, session):
    # An office's scope (a government's subtree) holds a large share of every matter. Through
    # its open links alone, PostgreSQL (which cannot know that open links lead to open matters)
    # takes them for a small share and sorts every open matter past due: 11-17 ms at five years
    # of data, where walking the open matters newest first to the page takes 0.4-0.7 ms
    # (docs/performance.md). A unit's own list keeps its open links (the test above).
    # (`client` loads the demo unit tree: the city's subtree.)
    office = Principal(
        sub="wang", name="王", unit="320100-DCS", roles=frozenset({"supervision_office"})
    )
    listed = str(matter_queries.filtered(session, office, MatterFilters(overdue=True)))
    assert "matter_units" in listed and "matter_units.open" not in listed, listed
    handler = str(matter_queries.filtered(session, HANDLER, MatterFilters(overdue=True)))
    assert "matter_units.open" in handler, handler


def test_the_dashboard_reads_what_its_summary_does_not_hold_through_partial_indexes(session):
    live = _plan(session, select(Matter.id).where(~Matter.tallied))
    assert "ix_matters_untallied" in live, live
    left = select(Matter.tallied_as).where(~Matter.tallied, Matter.tallied_as.is_not(None))
    assert "ix_matters_left_tally" in _plan(session, left)


def test_the_inbox_page_is_read_in_urgency_order_from_its_index(session):
    # The lights' buckets follow the due date, so the inbox's order is the due date's: one
    # unit's open tasks are read in order, not sorted out of every open task.
    query = _mine(session)
    plan = _plan(session, query.order_by(*inbox.urgency()).limit(50), in_order=True)
    assert "ix_tasks_ready_unit_due" in plan and "Sort" not in plan, plan


def test_the_planner_knows_how_many_open_tasks_a_role_is_offered(client, session):
    # The inbox matches the caller's roles on the text of a task's candidate roles. Without
    # statistics of that expression (migration 0030) PostgreSQL takes the match for ~1 % of a
    # unit's open tasks, and for an office's inbox reads and sorts all of them instead of walking
    # its index in order (8–12 ms at five years of data instead of 1.5–1.8).
    files = {"file": ("unit_task.bpmn", UNIT_TASK.read_bytes(), "application/xml")}
    assert client.post("/api/v1/process-definitions", files=files).status_code == 201
    for _ in range(40):
        start(client, "unit_task", variables={"unit": HANDLER.unit})
    session.execute(text("ANALYZE tasks"))
    query = _mine(session)
    offered = session.scalar(select(func.count()).select_from(query.subquery()))
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = (
        session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.construct_params())
        .scalar()
    )
    estimated = plan[0]["Plan"]["Plan Rows"]
    assert offered == 40 and estimated >= offered / 2, (offered, estimated)
