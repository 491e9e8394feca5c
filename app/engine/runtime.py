"""Load, step and save one instance: engine step, task projection, jobs and history together."""

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.clock import clock
from app.db import Database
from app.engine import events, expressions, parsing, state
from app.engine.caches import CachedDefinition, SpecCache, WorkflowCache
from app.engine.data import data_problems, json_safe
from app.engine.models import (
    HistoryEvent,
    InstanceUnit,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.parsing import ElementMeta
from app.engine.timeutil import parse_due
from app.errors import InvalidData, NotFound

# Engine-only tasks (scripts, gateways, events) one step may run; loops past this never wait,
# and past ~1,000 levels of one step SpiffWorkflow's task iterator stops finding tasks anyway.
MAX_ENGINE_TASKS_PER_STEP = 1_000


class EngineFailure(Exception):
    """The process itself failed in a step (refused or failing expression): needs an incident."""

    def __init__(self, message: str, element_id: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


@dataclass(frozen=True)
class CompletedElement:
    """A BPMN element that completed in a step, as listeners see it (data is read-only)."""

    element_id: str
    element_type: str
    properties: dict[str, str]
    data: dict[str, Any]


@dataclass
class StepEvents:
    """What one step did, handed to listeners inside the step's transaction."""

    instance: ProcessInstance
    actor: str | None
    completed: list[CompletedElement]
    created: list[TaskRecord]


Listener = Callable[[Session, StepEvents], None]


@dataclass
class Engine:
    """The process-wide engine: caches, the database they belong to, and step listeners.

    Listeners let a domain (supervision) record what a step meant, in the same transaction,
    without the engine knowing that domain.
    """

    db: Database
    specs: SpecCache
    workflows: WorkflowCache
    listeners: list[Listener] = field(default_factory=list)

    def __post_init__(self) -> None:
        state.install_clock()  # timers and expression helpers read the service clock


@dataclass
class Loaded:
    """An instance row with its live workflow, ready for one step."""

    row: ProcessInstance
    workflow: Any
    definition: CachedDefinition
    ready_before: set[uuid.UUID]
    timers_before: dict[uuid.UUID, datetime]
    messages_before: set[uuid.UUID]
    involved: set[str] = field(default_factory=set)
    # The human task this step completes: (task id, who, what they submitted).
    completion: tuple[uuid.UUID, str | None, dict[str, Any]] | None = None
    created: list[TaskRecord] = field(default_factory=list)


Action = Callable[[Any], None]


def create(
    engine: Engine,
    session: Session,
    definition: ProcessDefinition,
    *,
    business_key: str | None,
    variables: dict[str, Any],
    actor: str | None,
    unit_code: str | None = None,
) -> Loaded:
    """A new instance row and its fresh workflow (not yet started), owned by `unit_code`."""
    cached = engine.specs.get(session, definition.id)
    workflow = state.new_workflow(cached.bundle.spec, cached.bundle.subprocess_specs)
    workflow.task_tree.data.update(copy.deepcopy(variables))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(variables))
    now = clock.now()
    row = ProcessInstance(
        id=uuid.uuid4(),
        definition_id=definition.id,
        process_key=definition.key,
        version=definition.version,
        status="running",
        business_key=business_key,
        variables=json_safe(variables),
        state="",
        created_at=now,
        updated_at=now,
        created_by=actor,
        unit_code=unit_code,
        completed_elements=[],
    )
    session.add(row)
    session.flush()  # the row first: history and tasks reference it
    if unit_code is not None:
        session.add(InstanceUnit(instance_id=row.id, unit_code=unit_code))
    record_history(session, row, "instance_started", actor=actor, data={"variables": variables})
    return Loaded(row, workflow, cached, set(), {}, set())


def load(engine: Engine, session: Session, instance_id: uuid.UUID) -> Loaded:
    """The instance and its workflow: from the warm cache when current, else deserialized."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"process instance {instance_id} not found")
    cached = engine.specs.get(session, row.definition_id)
    workflow = engine.workflows.take(row.id, row.lock_version)
    if workflow is None:
        workflow = state.load(row.state, cached.bundle.spec, cached.bundle.subprocess_specs)
    return Loaded(
        row,
        workflow,
        cached,
        ready_before={t.id for t in _ready_human_tasks(workflow)},
        timers_before=events.timer_dues(workflow),
        messages_before=events.message_waits(workflow),
    )


def step(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    action: Action,
    *,
    actor: str | None,
    event: str | None = None,
    event_data: dict[str, Any] | None = None,
    event_task: Any = None,
) -> None:
    """Run `action` then the engine until it waits; write everything the step changed.

    `event` is recorded first in history (with `event_task`'s element when given).
    """
    workflow, row = loaded.workflow, loaded.row
    loaded.created = []
    completed: list[Any] = []
    guard = _RunawayGuard()
    try:
        events.collapse_missed_cycles(workflow, clock.now())
        action(workflow)
        workflow.do_engine_steps(will_complete_task=guard, did_complete_task=completed.append)
        # A fired timer may make further tasks ready only on a second pass.
        workflow.refresh_timers()
        workflow.do_engine_steps(will_complete_task=guard, did_complete_task=completed.append)
        _check_progress(workflow)
    except Exception as exc:
        raise _failure(exc) from exc
    now = clock.now()
    if event:
        spec = getattr(event_task, "task_spec", None)
        record_history(
            session,
            row,
            event,
            actor=actor,
            data=event_data,
            element_id=getattr(spec, "bpmn_id", None),
            element_type=type(spec).__name__ if spec is not None else None,
            task_id=getattr(event_task, "id", None),
        )
    for task in completed:
        _history_element(session, row, task, now)
    _note_completed(row, [event_task, *completed] if event_task is not None else completed)
    _drain_events(session, row, workflow)
    _sync_tasks(session, loaded, now)
    loaded.timers_before = events.sync_timers(session, row, workflow, loaded.timers_before, now)
    loaded.messages_before = events.sync_messages(session, row, workflow, loaded.messages_before)
    _finish_if_done(session, loaded, now, actor)
    if engine.listeners:
        done = [event_task, *completed] if event_task is not None else completed
        _notify(engine, session, loaded, actor, done)
    state.prune(workflow)
    row.state = state.dump(workflow)
    row.updated_at = now
    session.flush()
    lock_version = row.lock_version
    engine.db.after_commit(lambda: engine.workflows.put(row.id, lock_version, workflow))


def cancel(engine: Engine, session: Session, loaded: Loaded, *, actor: str | None) -> None:
    """Cancel every open task; the instance ends as `cancelled`."""
    now = clock.now()
    loaded.workflow.cancel()
    _sync_tasks(session, loaded, now)
    session.execute(delete(Job).where(Job.instance_id == loaded.row.id))
    session.execute(
        delete(MessageSubscription).where(MessageSubscription.instance_id == loaded.row.id)
    )
    loaded.row.status = "cancelled"
    loaded.row.ended_at = now
    loaded.row.state = state.dump(loaded.workflow)
    loaded.row.updated_at = now
    record_history(session, loaded.row, "instance_cancelled", actor=actor)
    session.flush()


def validate_submission(definition: CachedDefinition, task: Any, submitted: dict[str, Any]) -> None:
    """Reserved keys and the engine task's form (JSON Schema); 422 names each field."""
    problems = data_problems(submitted)
    if problems:
        raise InvalidData("submitted data is invalid", errors=problems)
    meta = definition.meta_for(task)
    if meta is not None and meta.form:
        validator = definition.validator(meta.form)
        for error in sorted(validator.iter_errors(submitted), key=lambda e: list(e.path)):
            problems.append({"field": _error_field(error), "message": error.message})
    if problems:
        raise InvalidData("submitted data is invalid", errors=problems)


def _error_field(error: Any) -> str | None:
    """The JSON path of a schema error; a missing property names the property itself."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in (error.instance or {})]
        named = next((p for p in missing if repr(p) in error.message), None)
        if named is not None:
            parts.append(named)
    return "/".join(parts) or None


class RunawayStep(Exception):
    """One step ran more engine tasks than any process needs: a loop that never waits."""

    def __init__(self, task: Any) -> None:
        super().__init__(
            f"more than {MAX_ENGINE_TASKS_PER_STEP} engine tasks ran without waiting for "
            "a person, a timer or a message: a loop that never waits?"
        )
        self.task = task


class _RunawayGuard:
    """Counts the engine tasks of one step; stops the step past the limit."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, task: Any) -> None:
        self.count += 1
        if self.count > MAX_ENGINE_TASKS_PER_STEP:
            raise RunawayStep(task)


def _check_progress(workflow: Any) -> None:
    """An unfinished process must wait for something: else it can never move again."""
    if workflow.completed or workflow.event_manager.tasks:
        return
    ready = workflow.get_next_task(state=TaskState.READY)
    if ready is None or not ready.task_spec.manual:
        raise ProcessStuck("the process can go no further: no task is ready and nothing awaited")


class ProcessStuck(Exception):
    """The process is neither finished nor waiting for anything (a dead end in the diagram)."""


def _failure(exc: Exception) -> EngineFailure:
    """An incident-ready failure: the element that failed and the innermost reason."""
    task = getattr(exc, "task", None)
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    if element_id is None:
        element_id = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
    cause = _root_cause(exc)
    if isinstance(cause, expressions.ExpressionRefused):
        return EngineFailure(f"expression refused: {cause.reason}", element_id)
    if isinstance(cause, expressions.ExpressionError):
        return EngineFailure(str(cause), element_id)
    if cause is not exc:
        return EngineFailure(f"{exc}: {type(cause).__name__}: {cause}", element_id)
    return EngineFailure(str(exc), element_id)


def _root_cause(exc: BaseException) -> BaseException:
    """Our expression error inside `exc` (SpiffWorkflow wraps it without `from`), else the
    innermost exception."""
    seen = {id(exc)}
    while not isinstance(exc, expressions.ExpressionRefused | expressions.ExpressionError):
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner
    return exc


def _ready_human_tasks(workflow: Any) -> list[Any]:
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [t for t in tasks if t.task_spec.bpmn_id is not None]


def _sync_tasks(session: Session, loaded: Loaded, now: datetime) -> None:
    workflow, row = loaded.workflow, loaded.row
    ready_now = {t.id: t for t in _ready_human_tasks(workflow)}
    for task_id in loaded.ready_before - set(ready_now):
        task = state.find_task(workflow, task_id)
        done = task is not None and task.has_state(TaskState.COMPLETED)
        values: dict[str, Any] = {
            "state": "completed" if done else "cancelled",
            "completed_at": now,
        }
        if loaded.completion is not None and loaded.completion[0] == task_id:
            values.update(completed_by=loaded.completion[1], submitted=loaded.completion[2])
        session.execute(
            update(TaskRecord)
            .where(TaskRecord.id == task_id, TaskRecord.state == "ready")
            .values(**values)
        )
        if not done:
            record_history(session, row, "task_cancelled", task_id=task_id)
    for task_id, task in ready_now.items():
        if task_id in loaded.ready_before:
            continue
        record = _task_record(row, task, loaded.definition.meta_for(task), now)
        session.add(record)
        loaded.created.append(record)
        _involve(session, loaded, record.unit_code)
        record_history(
            session,
            row,
            "task_created",
            element_id=record.element_id,
            task_id=task_id,
            element_type=record.element_type,
        )
    loaded.ready_before = set(ready_now)


def _task_record(
    row: ProcessInstance, task: Any, meta: ElementMeta | None, now: datetime
) -> TaskRecord:
    spec = task.task_spec
    data = json_safe(task.data)
    units = _candidate_units(meta, data)
    return TaskRecord(
        id=task.id,
        instance_id=row.id,
        process_key=row.process_key,
        element_id=spec.bpmn_id,
        name=spec.bpmn_name,
        element_type=type(spec).__name__,
        lane=spec.lane,
        state="ready",
        assignee=None,
        candidate_groups=list(meta.candidate_groups) if meta else [],
        candidate_units=units,
        unit_code=units[0] if units else row.unit_code,
        form=meta.form if meta else None,
        documentation=spec.documentation,
        input=data,
        due_at=_due(meta, data, now),
        created_at=now,
    )


def _involve(session: Session, loaded: Loaded, unit_code: str | None) -> None:
    """Record that a unit takes part in the instance (it then sees the instance)."""
    if unit_code is None or unit_code == loaded.row.unit_code or unit_code in loaded.involved:
        return
    if session.get(InstanceUnit, (loaded.row.id, unit_code)) is None:
        session.add(InstanceUnit(instance_id=loaded.row.id, unit_code=unit_code))
    loaded.involved.add(unit_code)


def _candidate_units(meta: ElementMeta | None, data: dict[str, Any]) -> list[str]:
    if meta is None or not meta.candidate_unit:
        return []
    try:
        value = expressions.evaluate(meta.candidate_unit, data)
    except Exception:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _due(meta: ElementMeta | None, data: dict[str, Any], now: datetime) -> datetime | None:
    if meta is None or not meta.due:
        return None
    text = meta.due
    if not parsing._is_iso(text):
        try:
            text = str(expressions.evaluate(text, data))
        except Exception:
            return None
    return parse_due(text, now)


def _finish_if_done(session: Session, loaded: Loaded, now: datetime, actor: str | None) -> None:
    workflow, row = loaded.workflow, loaded.row
    last = workflow.last_task
    if last is not None:
        variables = json_safe(last.data)
        if not state.same(variables, row.variables):
            row.variables = variables
            flag_modified(row, "variables")  # JSON columns compare with ==: True == 1
    if workflow.completed and row.status == "running":
        row.status = "completed"
        row.ended_at = now
        record_history(session, row, "instance_completed", actor=actor)


def _notify(
    engine: Engine, session: Session, loaded: Loaded, actor: str | None, tasks: list[Any]
) -> None:
    properties = loaded.definition.bundle.properties
    elements = [
        CompletedElement(
            element_id=t.task_spec.bpmn_id,
            element_type=type(t.task_spec).__name__,
            properties=properties.get(t.task_spec.bpmn_id, {}),
            data=t.data,
        )
        for t in tasks
        if t.task_spec.bpmn_id is not None
    ]
    step_events = StepEvents(loaded.row, actor, elements, loaded.created)
    for listener in engine.listeners:
        listener(session, step_events)


def _note_completed(row: ProcessInstance, tasks: list[Any]) -> None:
    ids = [t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id is not None]
    new = [i for i in dict.fromkeys(ids) if i not in row.completed_elements]
    if new:
        row.completed_elements = [*row.completed_elements, *new]


def _history_element(session: Session, row: ProcessInstance, task: Any, now: datetime) -> None:
    spec = task.task_spec
    if spec.bpmn_id is None or getattr(spec, "manual", False):
        return  # engine-internal tasks; human tasks are recorded by the service with their actor
    record_history(
        session,
        row,
        "element_completed",
        element_id=spec.bpmn_id,
        task_id=task.id,
        element_type=type(spec).__name__,
    )


def _drain_events(session: Session, row: ProcessInstance, workflow: Any) -> None:
    """Events no task of the instance caught (a thrown message, an uncaught escalation): into
    history, out of the state, where SpiffWorkflow would keep them forever."""
    for event in workflow.get_events():
        definition = event.event_definition
        data = {"name": definition.name, "type": type(definition).__name__}
        if event.payload is not None:
            data["payload"] = event.payload
        record_history(session, row, "event_unhandled", data=data)


def record_history(
    session: Session,
    row: ProcessInstance,
    event: str,
    *,
    actor: str | None = None,
    element_id: str | None = None,
    element_type: str | None = None,
    task_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        HistoryEvent(
            instance_id=row.id,
            at=clock.now(),
            event=event,
            element_id=element_id,
            element_type=element_type,
            task_id=task_id,
            actor=actor,
            data=json_safe(data) if data is not None else None,
        )
    )


def ready_task_ids(session: Session, instance_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the instance's ready human tasks, from the projection."""
    return list(
        session.scalars(
            select(TaskRecord.id).where(
                TaskRecord.instance_id == instance_id, TaskRecord.state == "ready"
            )
        )
    )
