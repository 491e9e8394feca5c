"""The rows of a migrated instance (实例迁移): the instance row on the target version, its ready
tasks, timers, subscriptions and external tasks naming the target's elements, a history event
and a notice — in the caller's transaction. What the instance waits for is the same before and
after (`Waiting`); only what it is an element of changes."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.engine import persist
from app.engine.persist import history_row, state
from app.engine.persist.activity_instances import ActivityInstance
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import (
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime import events, notices
from app.engine.runtime.caches import CachedDefinition
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.migration_state import ActiveElement
from app.engine.runtime.notices import Notice
from app.engine.runtime.projection import ready_human_tasks
from app.engine.specs.external import ready_external_tasks
from app.kit.clock import clock


@dataclass(frozen=True)
class Waiting:
    """What a workflow waits for: ready tasks, external tasks, timers (with their due times),
    messages and signals."""

    workflow: Any
    human: list[Any]
    external: list[Any]
    timers: dict[uuid.UUID, Any]
    messages: set[uuid.UUID]

    @classmethod
    def of(cls, workflow: Any) -> "Waiting":
        return cls(
            workflow,
            ready_human_tasks(workflow),
            ready_external_tasks(workflow),
            events.timer_dues(workflow),
            events.message_waits(workflow),
        )

    @property
    def key(self) -> tuple[Any, ...]:
        return (
            sorted(t.id for t in self.human),
            sorted(t.id for t in self.external),
            sorted(self.timers.items()),
            sorted(self.messages),
        )


MOVE_INSTANCE = (
    update(ProcessInstance)
    .where(
        ProcessInstance.id == bindparam("row_id"),
        ProcessInstance.lock_version == bindparam("expected_version"),
    )
    .values(
        definition_id=bindparam("new_definition_id"),
        process_key=bindparam("new_process_key"),
        version=bindparam("new_version_number"),
        bindings=bindparam("new_bindings"),
        state=bindparam("new_state"),
        lock_version=bindparam("new_lock_version"),
        updated_at=bindparam("new_updated_at"),
    )
)
MOVE_TASK = (
    update(TaskRecord)
    .where(TaskRecord.id == bindparam("task_id"), TaskRecord.state == "ready")
    .values(
        process_key=bindparam("new_process_key"),
        element_id=bindparam("new_element_id"),
        name=bindparam("new_name"),
        element_type=bindparam("new_element_type"),
        lane=bindparam("new_lane"),
        form=bindparam("new_form"),
        candidate_groups=bindparam("new_candidate_groups"),
        documentation=bindparam("new_documentation"),
    )
)
MOVE_JOB = (
    update(Job)
    .where(Job.instance_id == bindparam("row_id"), Job.task_id == bindparam("timer_id"))
    .values(element_id=bindparam("new_element_id"))
)
MOVE_SUBSCRIPTION = (
    update(MessageSubscription)
    .where(
        MessageSubscription.instance_id == bindparam("row_id"),
        MessageSubscription.task_id == bindparam("waiting_id"),
    )
    .values(element_id=bindparam("new_element_id"), message_name=bindparam("new_message_name"))
)
MOVE_EXTERNAL_TASK = (
    update(ExternalTask)
    .where(ExternalTask.id == bindparam("external_id"))
    .values(
        process_key=bindparam("new_process_key"),
        element_id=bindparam("new_element_id"),
        name=bindparam("new_name"),
        topic=bindparam("new_topic"),
        priority=bindparam("new_priority"),
    )
)
# The open activity-history rows of what still runs name the target too (closed rows keep the
# version they ran on: durations per version stay true).
MOVE_ACTIVITY = (
    update(ActivityInstance)
    .where(
        ActivityInstance.task_id == bindparam("activity_task_id"),
        ActivityInstance.state == "active",
    )
    .values(
        definition_id=bindparam("new_definition_id"),
        process_key=bindparam("new_process_key"),
        version=bindparam("new_version_number"),
        element_id=bindparam("new_element_id"),
        element_type=bindparam("new_element_type"),
        element_name=bindparam("new_name"),
    )
)
LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class Written:
    """What the rows of a migrated instance say: the target, as this instance runs it (its
    specs and late bindings), who asked, in which batch, why, what became of what."""

    target: ProcessDefinition
    cached: CachedDefinition
    bindings: dict[str, str]
    actor: str | None
    batch_id: uuid.UUID | None
    reason: str
    active: list[ActiveElement]


@dataclass
class Pending:
    """The rows of a chunk's migrated instances, sent together before the chunk commits: one
    statement (executemany) per kind of row, not one per instance and kind."""

    instances: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    externals: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def send(self, session: Session) -> None:
        """Write everything collected; StaleDataError (the transaction is retried) when an
        instance changed since it was loaded."""
        connection = session.connection()
        if self.instances:
            result = connection.execute(MOVE_INSTANCE, self.instances)
            if getattr(result, "rowcount", 0) != len(self.instances):
                raise StaleDataError("a migrated instance was changed by another transaction")
        for statement, rows in (
            (MOVE_TASK, self.tasks),
            (MOVE_JOB, self.jobs),
            (MOVE_SUBSCRIPTION, self.subscriptions),
            (MOVE_EXTERNAL_TASK, self.externals),
            (MOVE_ACTIVITY, self.activities),
            (persist.INSERT_HISTORY, self.history),
        ):
            if rows:
                connection.execute(statement, rows)
        for rows in vars(self).values():
            rows.clear()


def write(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    stored: str,
    waiting: Waiting,
    written: Written,
    pending: Pending,
) -> None:
    """The instance row (version-checked), its waiting rows, a history event (all into
    `pending`), a notice, and the warm workflow once committed."""
    row, target = loaded.row, written.target
    before = _version_of(row.definition_id, row.process_key, row.version)
    _move_row(pending, row, stored, target, written.bindings)
    _move_waiting_rows(pending, row, waiting, written.cached)
    _move_activities(pending, waiting.workflow, target)
    batch = str(written.batch_id) if written.batch_id else None
    data = {
        "batch_id": batch,
        "reason": written.reason,
        "from": before,
        "to": _version_of(target.id, target.key, target.version),
        "mapping": {a.element_id: a.target_element_id for a in written.active},
    }
    pending.history.append(history_row(row.id, "instance_migrated", actor=written.actor, data=data))
    told = {
        "batch_id": batch,
        "from_process_key": before["process_key"],
        "from_version": before["version"],
        "reason": written.reason,
    }
    notices.publish(
        session, Notice("instance.migrated", instance=row, actor=written.actor, data=told)
    )
    lock_version = row.lock_version
    workflow = waiting.workflow
    engine.db.after_commit(lambda: engine.workflows.put(row.id, lock_version, workflow))


def _version_of(definition_id: uuid.UUID, key: str, version: int) -> dict[str, Any]:
    return {"definition_id": str(definition_id), "process_key": key, "version": version}


def _move_row(
    pending: Pending,
    row: ProcessInstance,
    stored: str,
    target: ProcessDefinition,
    bindings: dict[str, str],
) -> None:
    """The instance row on the target version, if no one changed it meanwhile (checked when
    `pending` is sent)."""
    values = {
        "definition_id": target.id,
        "process_key": target.key,
        "version": target.version,
        "bindings": bindings,
        "state": stored,
        "lock_version": row.lock_version + 1,
        "updated_at": clock.now(),
    }
    pending.instances.append(
        {
            "row_id": row.id,
            "expected_version": row.lock_version,
            "new_definition_id": target.id,
            "new_process_key": target.key,
            "new_version_number": target.version,
            "new_bindings": bindings,
            "new_state": stored,
            "new_lock_version": values["lock_version"],
            "new_updated_at": values["updated_at"],
        }
    )
    for name, value in values.items():  # the ORM object as the database will have it
        set_committed_value(row, name, value)


def _move_waiting_rows(
    pending: Pending, row: ProcessInstance, waiting: Waiting, target: CachedDefinition
) -> None:
    """Ready tasks, timers, subscriptions and external tasks name the target's elements."""
    workflow = waiting.workflow
    pending.tasks.extend(_task_values(row, t, target) for t in waiting.human)
    pending.jobs.extend(
        {"row_id": row.id, "timer_id": task_id, "new_element_id": _element(workflow, task_id)}
        for task_id in waiting.timers
    )
    pending.subscriptions.extend(
        _subscription_values(row, workflow, task_id) for task_id in waiting.messages
    )
    pending.externals.extend(_external_values(row, t) for t in waiting.external)


def _move_activities(pending: Pending, workflow: Any, target: ProcessDefinition) -> None:
    """Every live element's open activity row names its element in the target."""
    pending.activities.extend(
        {
            "activity_task_id": task.id,
            "new_definition_id": target.id,
            "new_process_key": target.key,
            "new_version_number": target.version,
            "new_element_id": task.task_spec.bpmn_id,
            "new_element_type": type(task.task_spec).__name__,
            "new_name": task.task_spec.bpmn_name,
        }
        for task in workflow.get_tasks(state=LIVE)
        if task.task_spec.bpmn_id is not None
    )


def _element(workflow: Any, task_id: uuid.UUID) -> str:
    spec = state.find_task(workflow, task_id).task_spec
    return str(spec.bpmn_id or spec.name)


def _task_values(row: ProcessInstance, task: Any, target: CachedDefinition) -> dict[str, Any]:
    """A ready task's projection columns that come from the diagram; assignee, unit, due time,
    creation time and the data it was given stay."""
    spec, meta = task.task_spec, target.meta_for(task)
    return {
        "task_id": task.id,
        "new_process_key": row.process_key,
        "new_element_id": spec.bpmn_id,
        "new_name": spec.bpmn_name,
        "new_element_type": type(spec).__name__,
        "new_lane": spec.lane,
        "new_form": meta.form if meta else None,
        "new_candidate_groups": list(meta.candidate_groups) if meta else [],
        "new_documentation": spec.documentation,
    }


def _subscription_values(row: ProcessInstance, workflow: Any, task_id: uuid.UUID) -> dict[str, Any]:
    spec = state.find_task(workflow, task_id).task_spec
    definition = spec.event_definition
    element_id = spec.bpmn_id or spec.name
    if isinstance(definition, SignalEventDefinition):
        element_id = events.SIGNAL_PREFIX + element_id
    return {
        "row_id": row.id,
        "waiting_id": task_id,
        "new_element_id": element_id,
        "new_message_name": definition.name,
    }


def _external_values(row: ProcessInstance, task: Any) -> dict[str, Any]:
    spec = task.task_spec
    return {
        "external_id": task.id,
        "new_process_key": row.process_key,
        "new_element_id": spec.bpmn_id,
        "new_name": spec.bpmn_name,
        "new_topic": spec.topic,
        "new_priority": spec.priority,
    }
