"""What a step writes, in as few statements as possible, each built once.

A step (a start, a completion, a fired timer, a message, a cancel) collects its changes in a
`Writes` and `save` sends them at the end. On PostgreSQL that is one statement: the instance's
version-checked UPDATE (or its INSERT) with every other row in data-modifying WITH clauses, the
rows of each kind passed as one JSON array. On SQLite, which has no DML in WITH, one executemany
statement per kind of row, the instance row first for the foreign keys. Either way these are
Core statements built at import (or once per shape) and executed on the session's connection:
a fraction of the cost of the ORM unit of work the hot path used to go through (measured in
docs/performance.md). The instance row stays an ORM object for everyone else: after the write
its attributes are set as committed values, so the ORM neither flushes it again nor loses the
optimistic-lock version.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Enum,
    String,
    Text,
    Uuid,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import UserDefinedType

from app.db import UTCDateTime
from app.engine.persist import activity_instances as activities
from app.engine.persist.activity_instances import ActivityInstance
from app.engine.persist.data import json_safe
from app.engine.persist.models import (
    HistoryEvent,
    Incident,
    InstanceUnit,
    Job,
    MessageSubscription,
    ProcessInstance,
    TaskRecord,
)
from app.engine.schemas import IncidentOut, JobOut, TaskOut
from app.kit.clock import clock


def _columns(model: Any, schema: type[BaseModel]) -> list[Any]:
    """The table's columns a schema shows (fields computed at read time, like a light, are not)."""
    columns = model.__table__.c
    return [columns[name] for name in schema.model_fields if name in columns]


def _gone(model: Any, name: str) -> Any:
    """DELETE of the instance's rows (jobs, subscriptions) of the task ids in `name`."""
    return delete(model).where(
        model.instance_id == bindparam("row_id"),
        model.task_id.in_(bindparam(name, expanding=True)),
    )


# Columns of the instance row that a step may change (besides `state` and `lock_version`).
INSTANCE_CHANGES = (
    "status",
    "variables",
    "completed_elements",
    "updated_at",
    "ended_at",
    "bindings",
)

INSERT_INSTANCE = insert(ProcessInstance).values(
    {
        c.key: bindparam(f"new_{c.key}", type_=c.columns[0].type)
        for c in ProcessInstance.__mapper__.column_attrs
    }
)
# The version-checked update; it returns whether the instance has incidents (for the response).
UPDATE_INSTANCE = (
    update(ProcessInstance)
    .where(
        ProcessInstance.id == bindparam("row_id"),
        ProcessInstance.lock_version == bindparam("expected_version"),
    )
    .values(
        state=bindparam("new_state"),
        lock_version=bindparam("new_version"),
        **{name: bindparam(f"new_{name}") for name in INSTANCE_CHANGES},
    )
    .returning(exists().where(Incident.instance_id == bindparam("row_id")))
)
SELECT_STATE = select(ProcessInstance.state).where(ProcessInstance.id == bindparam("row_id"))
# A unit involved again (a second task for it, a loop) is kept once: the step need not ask first.
INSERT_UNIT = sqlite_insert(InstanceUnit).on_conflict_do_nothing()
INSERT_HISTORY = insert(HistoryEvent)
INSERT_TASK = insert(TaskRecord)
# Parameter names of the step's one statement are never column names of a table one of its
# WITH clauses updates: SQLAlchemy would add them to that UPDATE's SET (`done_task`, not
# `task_id`, which `activity_instances` has).
# The completed task's row must still be ready and held by nobody else (no assignee, or the one
# completing it); when the completion decided access on its unit (`held_params`), it must still
# have that unit. A claim by someone else or a re-assignment committed in between leaves the
# write nothing to update: the save raises StaleDataError and the transaction is retried on
# what the database holds. The assignee comes back, as the database has it.
COMPLETE_TASK = (
    update(TaskRecord)
    .where(
        TaskRecord.id == bindparam("done_task"),
        TaskRecord.state == "ready",
        or_(TaskRecord.assignee.is_(None), TaskRecord.assignee == bindparam("by")),
        or_(
            bindparam("any_unit", type_=Boolean()),
            TaskRecord.unit_code.is_not_distinct_from(bindparam("held_unit", type_=String())),
        ),
    )
    .values(
        state="completed",
        completed_at=bindparam("at"),
        completed_by=bindparam("by"),
        submitted=bindparam("data"),
    )
    .returning(TaskRecord.assignee)
)
CLOSE_TASK = (
    update(TaskRecord)
    .where(TaskRecord.id == bindparam("task_id"), TaskRecord.state == "ready")
    .values(state=bindparam("new_state"), completed_at=bindparam("at"))
)
INSERT_JOB = insert(Job)
DELETE_JOBS = _gone(Job, "gone_jobs")
MOVE_JOB = (
    update(Job)
    .where(Job.instance_id == bindparam("row_id"), Job.task_id == bindparam("timer_id"))
    .values(
        due_at=bindparam("due"),
        locked_by=None,
        locked_until=None,
        attempts=0,
        retries=None,
        next_attempt_at=None,
    )
)
INSERT_SUBSCRIPTION = insert(MessageSubscription)
DELETE_SUBSCRIPTIONS = _gone(MessageSubscription, "gone_subscriptions")
# What a response shows of ready tasks, incidents and jobs: the columns of its schema only.
READY_TASKS = (
    select(*_columns(TaskRecord, TaskOut))
    .where(TaskRecord.instance_id == bindparam("row_id"), TaskRecord.state == "ready")
    .order_by(TaskRecord.created_at, TaskRecord.id)  # tasks of one step tie on created_at
)
INCIDENTS = (
    select(*_columns(Incident, IncidentOut))
    .where(Incident.instance_id == bindparam("row_id"))
    .order_by(Incident.created_at)
)
JOBS = (
    select(*_columns(Job, JobOut))
    .where(Job.instance_id == bindparam("row_id"))
    .order_by(Job.due_at, Job.id)
)


@dataclass
class Writes:
    """Rows one step inserts, updates and deletes, besides the instance row itself."""

    units: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    completed_task: dict[str, Any] | None = None  # the human task the step completed
    closed_tasks: list[dict[str, Any]] = field(default_factory=list)
    new_tasks: list[dict[str, Any]] = field(default_factory=list)
    gone_jobs: list[uuid.UUID] = field(default_factory=list)
    new_jobs: list[dict[str, Any]] = field(default_factory=list)
    moved_jobs: list[dict[str, Any]] = field(default_factory=list)
    gone_subscriptions: list[uuid.UUID] = field(default_factory=list)
    new_subscriptions: list[dict[str, Any]] = field(default_factory=list)
    # Activity instances: rows of elements that went live or ran (app.engine.runtime.
    # activity_instances), and the open rows of elements that ended (`closed_*` keys).
    new_activities: list[dict[str, Any]] = field(default_factory=list)
    closed_activities: list[dict[str, Any]] = field(default_factory=list)


def held_params(unit: tuple[str | None] | None) -> dict[str, Any]:
    """COMPLETE_TASK's check of the task's unit (`(unit,)`; None: not checked)."""
    if unit is None:
        return {"any_unit": True, "held_unit": None}
    return {"any_unit": False, "held_unit": unit[0]}


def history_row(
    instance_id: uuid.UUID,
    event: str,
    *,
    actor: str | None = None,
    element_id: str | None = None,
    element_type: str | None = None,
    task_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One `history_events` row (its id comes from the database)."""
    return {
        "instance_id": instance_id,
        "at": clock.now(),
        "event": event,
        "element_id": element_id,
        "element_type": element_type,
        "task_id": task_id,
        "actor": actor,
        "data": json_safe(data) if data is not None else None,
    }


def save(
    session: Session,
    row: ProcessInstance,
    writes: Writes,
    *,
    new: bool,
    state: str,
    changes: dict[str, Any],
) -> bool | None:
    """Write the instance row (insert when `new`, else a version-checked update) and `writes`.

    On PostgreSQL the row and the usual writes go in one statement (data-modifying WITH
    clauses), which also answers whether the instance has incidents (returned; None where
    unknown). An update that finds another version raises StaleDataError: the transaction is
    retried (app.db), the step with it.
    """
    connection = session.connection()
    params = _new_row(row, state, changes) if new else _row_update(row, state, changes)
    if connection.dialect.name == "postgresql":
        saved = _save_in_one_statement(connection, writes, new=new, params=params)
        _save_rare(connection, row.id, writes)
    else:
        saved = _save_statement_by_statement(connection, row.id, writes, new, params)
    _commit_row(session, row, new=new, state=state, changes=changes)
    if writes.completed_task is not None:
        _commit_task(session, writes.completed_task, saved.assignee)
    return saved.has_incidents


@dataclass(frozen=True)
class _Saved:
    """What the write answered: whether the instance has incidents (None: not asked), and the
    completed task's assignee."""

    has_incidents: bool | None = None
    assignee: str | None = None


def _commit_task(session: Session, completed: dict[str, Any], assignee: str | None) -> None:
    """The completed task's ORM object, when the session holds one, as the database now has it."""
    record = session.identity_map.get(identity_key(TaskRecord, completed["done_task"]))
    if record is None:
        return
    for name, value in (
        ("state", "completed"),
        ("assignee", assignee),
        ("completed_at", completed["at"]),
        ("completed_by", completed["by"]),
        ("submitted", completed["data"]),
    ):
        set_committed_value(record, name, value)


def _new_row(row: ProcessInstance, state: str, changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        setattr(row, name, value)
    row.state = state
    row.lock_version = 1
    return {f"new_{c.key}": getattr(row, c.key) for c in ProcessInstance.__mapper__.column_attrs}


def _row_update(row: ProcessInstance, state: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = row.lock_version
    params: dict[str, Any] = {
        "row_id": row.id,
        "expected_version": current,
        "new_version": current + 1,
        "new_state": state,
    }
    for name in INSTANCE_CHANGES:
        params[f"new_{name}"] = changes.get(name, getattr(row, name))
    return params


def _commit_row(
    session: Session,
    row: ProcessInstance,
    *,
    new: bool,
    state: str,
    changes: dict[str, Any],
) -> None:
    """The ORM object as the database now has it, with nothing left for the ORM to flush."""
    if new:
        # The row exists now: make the object persistent without the ORM inserting it again.
        make_transient_to_detached(row)
        session.add(row)
        return
    set_committed_value(row, "lock_version", row.lock_version + 1)
    set_committed_value(row, "state", state)
    for name, value in changes.items():
        set_committed_value(row, name, value)


def _save_statement_by_statement(
    connection: Connection,
    row_id: uuid.UUID,
    writes: Writes,
    new: bool,
    params: dict[str, Any],
) -> _Saved:
    """SQLite: no DML in WITH; one (executemany) statement per kind of row."""
    has_incidents = assignee = None
    if new:
        connection.execute(INSERT_INSTANCE, params)
    else:
        has_incidents = bool(_updated(connection.execute(UPDATE_INSTANCE, params), row_id)[0])
    if writes.completed_task is not None:
        done = writes.completed_task["done_task"]
        completed = connection.execute(COMPLETE_TASK, writes.completed_task).first()
        if completed is None:
            raise StaleDataError(f"task {done} was changed by another transaction")
        assignee = completed[0]
    for statement, rows in (
        (INSERT_UNIT, writes.units),
        (INSERT_HISTORY, writes.history),
        (INSERT_TASK, writes.new_tasks),
        (INSERT_JOB, writes.new_jobs),
        (INSERT_SUBSCRIPTION, writes.new_subscriptions),
        (activities.INSERT_ACTIVITY, writes.new_activities),
        (activities.CLOSE_ACTIVITY, writes.closed_activities),
    ):
        if rows:
            connection.execute(statement, rows)
    if writes.gone_jobs:
        connection.execute(DELETE_JOBS, {"row_id": row_id, "gone_jobs": writes.gone_jobs})
    if writes.gone_subscriptions:
        gone = {"row_id": row_id, "gone_subscriptions": writes.gone_subscriptions}
        connection.execute(DELETE_SUBSCRIPTIONS, gone)
    _save_rare(connection, row_id, writes)
    return _Saved(has_incidents, assignee)


def _save_rare(connection: Connection, row_id: uuid.UUID, writes: Writes) -> None:
    """Cancelled tasks and moved cycle timers: rows updated with values of their own."""
    if writes.closed_tasks:
        connection.execute(CLOSE_TASK, writes.closed_tasks)
    if writes.moved_jobs:
        connection.execute(MOVE_JOB, [{"row_id": row_id, **m} for m in writes.moved_jobs])


def _updated(result: Any, row_id: uuid.UUID) -> Any:
    """The RETURNING row of the instance's update (whether it has incidents, then the completed
    task's assignee when it completed one); no row: stale."""
    returned = result.first()
    if returned is None:
        raise StaleDataError(
            f"process instance {row_id} (or the task it completes) was changed by another "
            "transaction"
        )
    return returned


# --- PostgreSQL: one statement per step ------------------------------------------------------

# Rows that go into WITH clauses: (params key prefix, table, Writes attribute).
_ROW_KINDS = (
    ("u", InstanceUnit, "units"),
    ("h", HistoryEvent, "history"),
    ("t", TaskRecord, "new_tasks"),
    ("j", Job, "new_jobs"),
    ("s", MessageSubscription, "new_subscriptions"),
    ("a", ActivityInstance, "new_activities"),
)
_SHAPES: dict[tuple[Any, ...], Any] = {}


def _save_in_one_statement(
    connection: Connection, writes: Writes, *, new: bool, params: dict[str, Any]
) -> _Saved:
    """Every write of the step in one statement; the rows of a kind travel as one JSON array
    (so the statement, and its compiled and prepared forms, depend only on which kinds occur,
    and the driver adapts one text instead of a parameter per value)."""
    kinds = []
    for prefix, _table, attribute in _ROW_KINDS:
        rows: list[dict[str, Any]] = getattr(writes, attribute)
        columns = tuple(rows[0]) if rows else ()
        kinds.append(columns)
        if rows:
            params[f"{prefix}_rows"] = json.dumps(rows, default=_json_value)
    if writes.completed_task is not None:
        params.update(writes.completed_task)
    if writes.gone_jobs:
        params["gone_jobs"] = writes.gone_jobs
    if writes.gone_subscriptions:
        params["gone_subscriptions"] = writes.gone_subscriptions
    if writes.closed_activities:
        params["c_rows"] = json.dumps(writes.closed_activities, default=_json_value)
    shape = (
        new,
        tuple(kinds),
        writes.completed_task is not None,
        bool(writes.gone_jobs),
        bool(writes.gone_subscriptions),
        bool(writes.closed_activities),
    )
    statement = _SHAPES.get(shape)
    if statement is None:
        statement = _SHAPES[shape] = _one_statement(shape)
    result = connection.execute(statement, params)
    if new:
        return _Saved()
    returned = _updated(result, params["row_id"])
    return _Saved(bool(returned[0]), returned[1] if writes.completed_task is not None else None)


def _one_statement(shape: tuple[Any, ...]) -> Any:
    """The instance's INSERT or UPDATE, with every other write of the step in WITH clauses.

    PostgreSQL runs the WITH parts on the same snapshot and checks foreign keys at the end of
    the statement, so a new instance's rows can go in with it. `jsonb_to_recordset` yields the
    rows in the order of the array (history ids follow it).
    """
    new, kinds, completed_task, gone_jobs, gone_subscriptions, closed_activities = shape
    main = INSERT_INSTANCE if new else UPDATE_INSTANCE
    ctes = []
    for columns, (prefix, model, attribute) in zip(kinds, _ROW_KINDS, strict=True):
        if columns:
            records = _recordset(prefix, model, columns)
            if model is InstanceUnit:  # kept once, as INSERT_UNIT
                unit_rows = pg_insert(model).from_select(list(columns), records)
                ctes.append(unit_rows.on_conflict_do_nothing().cte(f"new_{attribute}"))
            else:
                rows = insert(model).from_select(list(columns), records)
                ctes.append(rows.cte(f"new_{attribute}"))
    if completed_task:  # the instance is updated only if the task row was (see COMPLETE_TASK)
        assert not new, "a step that inserts its instance completes no task"
        done = COMPLETE_TASK.cte("completed_task")
        ctes.append(done)
        main = UPDATE_INSTANCE.where(exists(select(done.c.assignee))).returning(
            select(done.c.assignee).scalar_subquery()
        )
    if gone_jobs:
        ctes.append(DELETE_JOBS.cte("gone_jobs"))
    if gone_subscriptions:
        ctes.append(DELETE_SUBSCRIPTIONS.cte("gone_subscriptions"))
    if closed_activities:
        ctes.append(_close_activities().cte("closed_activities"))
    return main.add_cte(*ctes) if ctes else main


_CLOSED = (
    ("closed_task", Uuid()),
    ("closed_at", UTCDateTime()),
    ("closed_state", Text()),
    ("closed_actor", Text()),
)


def _close_activities() -> Any:
    """UPDATE … FROM the closed rows in the JSON parameter `c_rows` (activity instances that
    ended in the step): one statement whatever their number."""
    rows_json = cast(bindparam("c_rows", type_=Text()), JSONB)
    records = (
        func.jsonb_to_recordset(rows_json)
        .table_valued(*(column(name, type_) for name, type_ in _CLOSED))
        .render_derived(name="c", with_types=True)
    )
    # Joined on the task id alone: its index finds each row whatever the instance's history.
    return activities.close(
        "postgresql",
        task_id=records.c.closed_task,
        ended_at=records.c.closed_at,
        state=records.c.closed_state,
        actor=records.c.closed_actor,
    )


def _recordset(prefix: str, model: Any, columns: tuple[str, ...]) -> Any:
    """SELECT of the rows in the JSON parameter `<prefix>_rows`, typed as the table's columns.

    The text is kept short — `SELECT *` (the recordset yields the columns in the INSERT's order)
    and PostgreSQL's short type names — so that a step's statement stays within psycopg's cache
    of converted queries (`MAX_CACHED_STATEMENT_LENGTH`, 4,096 bytes): a longer one is parsed
    again on every execution (~0.17 ms of CPU). tests/sql_sent.py names what goes over it;
    the engine's processes (tests/engine/test_responses.py) and a matter's lifecycle
    (tests/supervision/test_matter_statements.py) are held to it.
    """
    typed = [column(name, _short_type(model.__table__.c[name].type)) for name in columns]
    rows_json = cast(bindparam(f"{prefix}_rows", type_=Text()), JSONB)
    records = (
        func.jsonb_to_recordset(rows_json)
        .table_valued(*typed)
        .render_derived(name="r", with_types=True)
    )
    return select(literal_column("*")).select_from(records)


class _Named(UserDefinedType[Any]):
    """A recordset column's type by its PostgreSQL name; only its text is used (the values go
    from the recordset into the table's own columns, which check them)."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **_: Any) -> str:
        return self.name


def _short_type(column_type: Any) -> Any:
    """The recordset's type for a table column: the same type, by its short name. A string's
    length is left to the table's column (assigning a longer value to it fails as before)."""
    if isinstance(column_type, JSON):
        return _Named("jsonb")  # the PostgreSQL variant of app.kit.columns.Json
    if isinstance(column_type, UTCDateTime):
        return _Named("timestamptz")
    if isinstance(column_type, String) and not isinstance(column_type, Enum):  # Text too
        return _Named("text")
    return column_type


def _json_value(value: Any) -> str:
    """Ids and times in the JSON rows, as PostgreSQL reads them back into uuid and timestamptz."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def stored_state(session: Session, instance_id: uuid.UUID) -> str:
    """The instance's serialized state (a deferred column: read only when no warm workflow)."""
    state: str = session.connection().execute(SELECT_STATE, {"row_id": instance_id}).scalar_one()
    return state
