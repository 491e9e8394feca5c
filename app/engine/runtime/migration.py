"""Migrating one instance (实例迁移): its workflow onto the target version, and every row that
names its elements — the instance row, its ready tasks, waiting timers, message subscriptions
and external tasks — in the caller's transaction. Domain records (matters, deadlines,
timelines) are not touched: they name the instance, never its elements' specs.

What the instance waits for does not change: the same tasks stay ready (same ids, assignees,
units, due times, creation times), the same timers wait with the same due times, the same
subscriptions wait. Only what they are elements of changes, and what follows them.
"""

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.engine import persist
from app.engine.persist import history_row, state
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import (
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime import engine as runtime
from app.engine.runtime import events, migration_plan, migration_state, notices
from app.engine.runtime.caches import CachedDefinition, called_definitions
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.migration_state import ActiveElement, Retarget
from app.engine.runtime.notices import Notice
from app.engine.runtime.projection import ready_human_tasks
from app.engine.specs.external import ready_external_tasks
from app.kit.clock import clock
from app.kit.errors import InvalidData, NotFound

log = logging.getLogger(__name__)

MIGRATABLE = ("running", "error")

Outcome = Literal["migrated", "migratable", "not_migratable", "failed", "skipped"]


@dataclass(frozen=True)
class Result:
    """What became of one instance (or would, for a validation)."""

    outcome: Outcome
    reason: str | None = None
    elements: list[ActiveElement] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    """The target's specs as one instance runs them (its late bindings) and the called
    processes the target calls at the same version as the source."""

    cached: CachedDefinition
    bindings: dict[str, str]
    same_called: frozenset[str]


@dataclass
class Migration:
    """A checked plan between two versions, ready to apply to instances."""

    source: ProcessDefinition
    target: ProcessDefinition
    plan: migration_plan.Plan
    _targets: dict[frozenset[tuple[str, str]], _Target] = field(default_factory=dict)

    @property
    def elements(self) -> dict[str, str]:
        return self.plan.elements

    def target_for(self, engine: Engine, session: Session, row: ProcessInstance) -> _Target:
        """The target's specs for this instance: a called process the source bound late stays
        bound where the target does not pin it."""
        key = frozenset(row.bindings.items())
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._resolve(engine, session, row.bindings)
        return found

    def _resolve(self, engine: Engine, session: Session, bindings: dict[str, str]) -> _Target:
        unbound = engine.specs.get(session, self.target.id).bundle.missing
        kept = {k: v for k, v in bindings.items() if k in unbound}
        cached, target_bindings = engine.specs.bind(session, self.target.id, kept)
        before = {d.key: d.id for d in called_definitions(session, self.source, bindings)}
        after = {d.key: d.id for d in called_definitions(session, self.target, target_bindings)}
        same = frozenset(k for k, v in before.items() if after.get(k) == v)
        return _Target(cached, target_bindings, same)


def prepare(
    engine: Engine,
    session: Session,
    *,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    pairs: list[tuple[str, str]],
    generate: bool,
    prefix: str = "plan.",
) -> Migration:
    """The plan between two deployed versions: generated from `pairs` (explicit mappings, the
    rest by equal ids), or checked as given; 404/422 naming what is wrong (fields named
    with `prefix`)."""
    source = _definition(session, source_id, f"{prefix}source_definition_id")
    target = _definition(session, target_id, f"{prefix}target_definition_id")
    if source.id == target.id:
        message = "the source and the target are the same version"
        raise InvalidData(
            message, errors=[{"field": f"{prefix}target_definition_id", "message": message}]
        )
    old = engine.specs.get(session, source.id).bundle
    new = engine.specs.get(session, target.id).bundle
    if generate:
        plan = migration_plan.generate(old, new, pairs)
    else:
        plan = migration_plan.check(old, new, pairs)
    return Migration(source, target, plan)


def _definition(session: Session, definition_id: uuid.UUID, name: str) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        message = f"process definition {definition_id} not found"
        raise NotFound(message, errors=[{"field": name, "message": message}])
    return definition


# --- one instance ------------------------------------------------------------------------------


def examine(
    engine: Engine, session: Session, migration: Migration, instance_id: uuid.UUID
) -> Result:
    """Whether the instance would migrate, and what each of its active elements would become;
    nothing changes."""
    checked = _checked(engine, session, migration, instance_id)
    if isinstance(checked, Result):
        failed = checked.outcome == "failed"
        return Result("not_migratable", checked.reason) if failed else checked
    loaded, _target, retarget = checked
    engine.workflows.put(loaded.row.id, loaded.row.lock_version, loaded.workflow)  # unchanged
    outcome: Outcome = "migratable" if retarget.migratable else "not_migratable"
    return Result(outcome, _refusal(retarget), retarget.active)


def migrate(
    engine: Engine,
    session: Session,
    migration: Migration,
    instance_id: uuid.UUID,
    *,
    actor: str | None,
    batch_id: uuid.UUID | None,
    reason: str,
) -> Result:
    """Move one instance onto the target version, in the caller's transaction; `failed` (with
    the reason, nothing written) when an active element does not map."""
    checked = _checked(engine, session, migration, instance_id)
    if isinstance(checked, Result):
        return checked
    loaded, target, retarget = checked
    if not retarget.migratable:
        engine.workflows.put(loaded.row.id, loaded.row.lock_version, loaded.workflow)
        return Result("failed", _refusal(retarget), retarget.active)
    moved = _move(loaded.workflow, retarget, target)
    if isinstance(moved, str):
        return Result("failed", moved, retarget.active)
    stored, workflow = moved
    context = _Written(migration, target, actor, batch_id, reason, retarget.active)
    _write(engine, session, loaded, stored, workflow, context)
    return Result("migrated", None, retarget.active)


def _checked(
    engine: Engine, session: Session, migration: Migration, instance_id: uuid.UUID
) -> Result | tuple[Loaded, _Target, Retarget]:
    """The instance loaded and examined, or why it is skipped."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        return Result("skipped", "the instance no longer exists")
    if row.definition_id == migration.target.id:
        return Result("skipped", "the instance is on the target version already")
    if row.definition_id != migration.source.id:
        return Result(
            "skipped",
            f"the instance is on version {row.version} of '{row.process_key}', not the source",
        )
    if row.status not in MIGRATABLE:
        return Result("skipped", f"the instance is {row.status}")
    loaded = runtime.load(engine, session, instance_id)
    target = migration.target_for(engine, session, loaded.row)
    try:
        retarget = migration_state.examine(
            loaded.workflow, target.cached, migration.elements, target.same_called
        )
    except Exception as exc:  # a workflow shape the alignment does not know: logged, and
        # the instance's result names it (nothing was changed)
        log.exception("instance migration could not examine instance %s", instance_id)
        return Result("failed", f"the engine could not examine the instance: {exc!r}")
    return loaded, target, retarget


def _refusal(retarget: Retarget) -> str | None:
    missing = [a for a in retarget.active if a.target_element_id is None]
    if not missing:
        return None
    named = ", ".join(f"'{a.element_id}'" for a in missing)
    return f"active elements that do not map: {named}"


def _move(workflow: Any, retarget: Retarget, target: _Target) -> tuple[str, Any] | str:
    """The workflow on the target's specs, as the target restores it (the state it is saved
    as), or why it cannot be moved."""
    before = _waits(workflow)
    try:
        migration_state.apply(retarget)
        stored = state.dump(workflow)
        moved = state.load(stored, target.cached.bundle.spec, target.cached.bundle.subprocess_specs)
    except Exception as exc:  # whatever SpiffWorkflow raises on a shape it cannot move: logged,
        # and the instance's result (failed, nothing written) names it
        log.exception("instance migration failed in the engine")
        return f"the engine could not move the instance: {type(exc).__name__}: {exc}"
    after = _waits(moved)
    if after != before:
        return "after the migration the instance would not wait for the same tasks and events"
    return stored, moved


def _waits(workflow: Any) -> tuple[Any, ...]:
    """What an instance waits for: ready tasks, external tasks, timers (with due times),
    messages and signals."""
    return (
        sorted(t.id for t in ready_human_tasks(workflow)),
        sorted(t.id for t in ready_external_tasks(workflow)),
        sorted(events.timer_dues(workflow).items()),
        sorted(events.message_waits(workflow)),
    )


# --- the rows ----------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class _Written:
    """What the rows of a migrated instance say about the migration."""

    migration: Migration
    target: _Target
    actor: str | None
    batch_id: uuid.UUID | None
    reason: str
    active: list[ActiveElement]


def _write(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    stored: str,
    workflow: Any,
    written: _Written,
) -> None:
    """The instance row (version-checked), its waiting rows, a history event, a notice."""
    row, target = loaded.row, written.migration.target
    before = _version_of(row.definition_id, row.process_key, row.version)
    _move_row(session, row, stored, target, written.target.bindings)
    connection = session.connection()
    _move_waiting_rows(connection, row, workflow, written.target.cached)
    batch = str(written.batch_id) if written.batch_id else None
    data = {
        "batch_id": batch,
        "reason": written.reason,
        "from": before,
        "to": _version_of(target.id, target.key, target.version),
        "mapping": {a.element_id: a.target_element_id for a in written.active},
    }
    history = history_row(row.id, "instance_migrated", actor=written.actor, data=data)
    connection.execute(persist.INSERT_HISTORY, [history])
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
    engine.db.after_commit(lambda: engine.workflows.put(row.id, lock_version, workflow))


def _version_of(definition_id: uuid.UUID, key: str, version: int) -> dict[str, Any]:
    return {"definition_id": str(definition_id), "process_key": key, "version": version}


def _move_row(
    session: Session,
    row: ProcessInstance,
    stored: str,
    target: ProcessDefinition,
    bindings: dict[str, str],
) -> None:
    """The instance row on the target version, if no one changed it meanwhile (else the
    transaction is retried: StaleDataError)."""
    values = {
        "definition_id": target.id,
        "process_key": target.key,
        "version": target.version,
        "bindings": bindings,
        "state": stored,
        "lock_version": row.lock_version + 1,
        "updated_at": clock.now(),
    }
    params = {
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
    result = session.connection().execute(MOVE_INSTANCE, params)
    if getattr(result, "rowcount", 0) != 1:
        raise StaleDataError(f"process instance {row.id} was changed by another transaction")
    for name, value in values.items():  # the ORM object as the database now has it
        set_committed_value(row, name, value)


def _move_waiting_rows(
    connection: Any, row: ProcessInstance, workflow: Any, target: CachedDefinition
) -> None:
    """Ready tasks, timers, subscriptions and external tasks name the target's elements."""
    tasks = [_task_values(row, t, target) for t in ready_human_tasks(workflow)]
    jobs = [
        {"row_id": row.id, "timer_id": task_id, "new_element_id": _element(workflow, task_id)}
        for task_id in events.timer_dues(workflow)
    ]
    waits = [
        _subscription_values(row, workflow, task_id) for task_id in events.message_waits(workflow)
    ]
    externals = [_external_values(row, t) for t in ready_external_tasks(workflow)]
    for statement, rows in (
        (MOVE_TASK, tasks),
        (MOVE_JOB, jobs),
        (MOVE_SUBSCRIPTION, waits),
        (MOVE_EXTERNAL_TASK, externals),
    ):
        if rows:
            connection.execute(statement, rows)


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
