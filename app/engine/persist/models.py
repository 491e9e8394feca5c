"""Tables of the engine: definitions, instances, the task projection, jobs, history, incidents."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.kit.columns import BigId, Json


class ProcessDefinition(Base):
    """One deployed version of one BPMN process (`key` is the BPMN process id)."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, deferred=True)
    # Called processes resolved at deploy time: BPMN process id -> definition id.
    dependencies: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    message_starts: Mapped[list[str]] = mapped_column(Json, default=list)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(255))
    # Suspended (挂起): the version starts no new instance until it is activated again.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_by: Mapped[str | None] = mapped_column(String(255))
    suspension_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def suspended(self) -> bool:
        """Whether this version refuses new starts."""
        return self.suspended_at is not None


class ProcessInstance(Base):
    """A running (or finished) process; `state` is the engine's compact serialized state."""

    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_key_status", "process_key", "status"),
        Index("ix_process_instances_business_key", "business_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    definition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_definitions.id"), index=True
    )
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    state: Mapped[str] = mapped_column(Text, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(255))
    unit_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # Distinct BPMN element ids completed so far, in order (kept here so reads stay flat).
    completed_elements: Mapped[list[str]] = mapped_column(Json, default=list)
    # Called processes not deployed when the definition was, bound when the instance started:
    # BPMN process id -> definition id (a process still missing then is absent).
    bindings: Mapped[dict[str, str]] = mapped_column(Json, default=dict)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (SQLAlchemy reads it)


class InstanceUnit(Base):
    """A unit involved in an instance (its owner, or a unit a task was given to), for scoping."""

    __tablename__ = "instance_units"

    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class TaskRecord(Base):
    """The query projection of human tasks, so that task lists never load a workflow."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_due", "state", "due_at"),
        Index("ix_tasks_instance_state", "instance_id", "state"),
        Index("ix_tasks_assignee_state", "assignee", "state"),
        # Open work only (partial): an inbox reads its page in order whatever the history holds.
        Index(
            "ix_tasks_ready_unit_created",
            "unit_code",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        # The inbox's order (due date, then age) for one unit's open tasks; with the candidate
        # roles (PostgreSQL: INCLUDE), its counts and role filter read the index alone.
        Index(
            "ix_tasks_ready_unit_due",
            "unit_code",
            "due_at",
            "created_at",
            "id",
            postgresql_include=["candidate_groups"],
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        # A process's open tasks (the task list's `process_key` filter), in age order.
        Index(
            "ix_tasks_ready_process_created",
            "process_key",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
        Index(
            "ix_tasks_ready_created",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE")
    )
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    element_type: Mapped[str] = mapped_column(String(50))
    lane: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(255))
    candidate_groups: Mapped[list[str]] = mapped_column(Json, default=list)
    candidate_units: Mapped[list[str]] = mapped_column(Json, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(64), index=True)
    form: Mapped[str | None] = mapped_column(String(255))
    documentation: Mapped[str | None] = mapped_column(Text)
    input: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, deferred=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(255))
    submitted: Mapped[dict[str, Any] | None] = mapped_column(Json)

    # Loaded only on purpose, with the task (service.find_task); never lazily.
    instance: Mapped["ProcessInstance"] = relationship(lazy="raise", viewonly=True)


class Job(Base):
    """A waiting timer: due time, lease and attempts, so that it fires once after any restart."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_due", "status", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    element_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(255))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Retries left (as Camunda counts them): NULL until the job first fails, then the
    # scheduler's DUCHA_JOB_MAX_ATTEMPTS less the failures; 0 is `failed`. An operator sets it.
    retries: Mapped[int | None] = mapped_column(Integer)
    # After a failure with retries left: not fired again before this (exponential backoff).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageSubscription(Base):
    """An instance waiting for a message, indexed for routing by name and correlation key."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (
        Index("ix_message_subscriptions_name_key", "message_name", "correlation_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    element_id: Mapped[str] = mapped_column(String(255))
    message_name: Mapped[str] = mapped_column(String(255))
    correlation_key: Mapped[str | None] = mapped_column(String(255))


class HistoryEvent(Base):
    """Append-only history of an instance: every state change, with who and what."""

    __tablename__ = "history_events"
    __table_args__ = (Index("ix_history_events_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(50))
    element_id: Mapped[str | None] = mapped_column(String(255))
    element_type: Mapped[str | None] = mapped_column(String(50))
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)


class Incident(Base):
    """A failure that needs an operator (故障): a failed step (`process_error`: a refused or
    failing expression, a call or a delivery that failed), a timer job out of retries
    (`job_failed`), an external task out of retries (`external_task_failed`) or with an uncaught
    BPMN error (`external_task_error`).

    `trigger` is what set the failed step going (a start, a completion and what was submitted,
    a timer, a message or signal and its payload, a worker's completion), so that a retry can
    run it again on the state kept from before the step. `attempts` counts the runs that failed;
    `resolution` says how it closed: `retried` (the step ran again, or retries were given) or
    `resolved` (closed by an operator without running, with a `note`) or `modified` (an instance
    modification repaired the instance; the note is its reason).
    """

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_created_at", "created_at"),
        Index("ix_incidents_process_key_created", "process_key", "created_at"),
        Index("ix_incidents_kind_created", "kind", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    process_key: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(50))
    element_id: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    external_task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    message: Mapped[str] = mapped_column(Text)
    trigger: Mapped[dict[str, Any] | None] = mapped_column(Json)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    # Loaded only on purpose, with the incident (lists and details); never lazily.
    instance: Mapped["ProcessInstance"] = relationship(lazy="raise", viewonly=True)


class DecisionDefinition(Base):
    """One deployed version of one DMN decision table (`key` is the decision's id)."""

    __tablename__ = "decision_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_decision_definitions_key_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(500))
    hit_policy: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(500))
    # sha256 of the file's bytes: a new version only when the file changes.
    content_hash: Mapped[str] = mapped_column(String(64))
    dmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str | None] = mapped_column(String(255))


# --- migration of running instances (实例迁移) -------------------------------------------------


class MigrationBatch(Base):
    """A migration of instances from one version to another, run in the background in small
    transactions; any service process may continue it (a lease says who holds it now)."""

    __tablename__ = "migration_batches"
    __table_args__ = (Index("ix_migration_batches_status_created", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    source_definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_definitions.id"))
    target_definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(255))
    source_version: Mapped[int] = mapped_column(Integer)
    target_process_key: Mapped[str] = mapped_column(String(255))
    target_version: Mapped[int] = mapped_column(Integer)
    # The plan's instructions: [{source_element_id, target_element_id, auto}].
    instructions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    selection: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # as the caller gave it
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending, running, completed
    total: Mapped[int] = mapped_column(Integer)
    migrated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # Who asked (the finishing audit record and the history name them) and their unit (scope).
    created_by: Mapped[str] = mapped_column(String(255))
    created_by_name: Mapped[str | None] = mapped_column(String(255))
    created_roles: Mapped[list[str]] = mapped_column(Json, default=list)
    created_unit: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(255))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MigrationItem(Base):
    """One instance of a batch: pending until a chunk takes it, then migrated, failed (why) or
    skipped (why: it ended, or is no longer on the source version)."""

    __tablename__ = "migration_batch_instances"
    __table_args__ = (
        Index("ix_migration_batch_instances_batch_status", "batch_id", "status", "position"),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("migration_batches.id", ondelete="CASCADE"), primary_key=True
    )
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    # The instance's active elements and what they became (or why not).
    elements: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
