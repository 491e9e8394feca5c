"""Activity instances (Camunda's historic activity instances): one row per instance of a BPMN
element, with when it started and ended, how it ended, who completed it and for which unit —
the history across instances that operators query and the duration heatmap reads.

Rows are written by the step (`app.engine.runtime.activity_instances` collects them into the
step's `Writes`; `app.engine.persist.save` sends them with the step's other rows): an element
that waits gets an `active` row when it becomes live, closed when it completes or is cancelled;
one that runs within a step gets a closed row at once.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Update,
    Uuid,
    bindparam,
    cast,
    extract,
    func,
    insert,
    literal_column,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import BigId

# How an activity instance stands: live, or how it ended.
ACTIVE, COMPLETED, CANCELLED = "active", "completed", "cancelled"


class ActivityInstance(Base):
    """One instance of one BPMN element of one process instance (活动实例)."""

    __tablename__ = "activity_instances"
    __table_args__ = (
        # One per filter and sort the history query offers (newest first by `started_at`).
        Index("ix_activity_instances_task", "task_id"),
        Index("ix_activity_instances_instance", "instance_id", "started_at"),
        Index("ix_activity_instances_definition", "definition_id", "element_id", "state"),
        Index("ix_activity_instances_key", "process_key", "version", "element_id"),
        Index("ix_activity_instances_element", "element_id", "started_at"),
        Index("ix_activity_instances_unit", "unit", "started_at"),
        Index("ix_activity_instances_actor", "actor", "started_at"),
        Index("ix_activity_instances_state", "state", "started_at"),
        Index("ix_activity_instances_started", "started_at"),
        Index("ix_activity_instances_ended", "ended_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE")
    )
    definition_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    element_id: Mapped[str] = mapped_column(String(255))
    element_type: Mapped[str] = mapped_column(String(50))
    element_name: Mapped[str | None] = mapped_column(String(500))
    # The engine task: a human task's id in `tasks`, an external task's in `external_tasks`.
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(255))  # who completed a human task
    unit: Mapped[str | None] = mapped_column(String(64))  # a human task's unit, else the owner's


INSERT_ACTIVITY = insert(ActivityInstance)


def close(
    dialect: str,
    *,
    task_id: ColumnElement[uuid.UUID],
    ended_at: ColumnElement[datetime],
    state: ColumnElement[str],
    actor: ColumnElement[str | None],
) -> Update:
    """UPDATE closing the open row of an engine task: its end, how it ended, who completed it
    and its duration, computed by the database from the row's start (the step that ends an
    element does not know when it began)."""
    return (
        update(ActivityInstance)
        .where(ActivityInstance.task_id == task_id, ActivityInstance.ended_at.is_(None))
        .values(
            ended_at=ended_at,
            state=state,
            actor=actor,
            duration_ms=_duration_ms(ended_at, dialect),
        )
    )


def _duration_ms(ended_at: ColumnElement[datetime], dialect: str) -> ColumnElement[int]:
    """Milliseconds from the row's `started_at` to `ended_at`, rounded."""
    started = ActivityInstance.started_at
    # Constants as SQL text: a bound constant inside the step's WITH clause lost its value.
    if dialect == "postgresql":
        millis: ColumnElement[Any] = extract("epoch", ended_at - started) * literal_column("1000")
    else:  # SQLite keeps instants as UTC text, which julianday reads
        days = func.julianday(ended_at) - func.julianday(started)
        millis = days * literal_column("86400000")
    return cast(func.round(millis), BigInteger)


# SQLite: one executemany of this per step; PostgreSQL closes rows inside the step's one
# statement (app.engine.persist).
CLOSE_ACTIVITY = close(
    "sqlite",
    task_id=bindparam("closed_task"),
    ended_at=bindparam("closed_at", type_=UTCDateTime()),
    state=bindparam("closed_state"),
    actor=bindparam("closed_actor"),
)
# A human task given to another unit while open: its row follows (`unit` filters the history).
MOVE_UNIT = (
    update(ActivityInstance)
    .where(ActivityInstance.task_id == bindparam("moved_task"), ActivityInstance.ended_at.is_(None))
    .values(unit=bindparam("new_unit"))
)
