"""Load, step and save one instance: engine step, task projection, jobs and history together."""

import copy
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from app.clock import clock
from app.db import Database
from app.engine import expressions, parsing, state
from app.engine.models import (
    HistoryEvent,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.parsing import Bundle, ElementMeta
from app.engine.timeutil import parse_due
from app.errors import InvalidData, NotFound


class EngineFailure(Exception):
    """The process itself failed in a step (refused or failing expression): needs an incident."""

    def __init__(self, message: str, element_id: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


@dataclass
class CachedDefinition:
    """A definition's parsed bundle and its compiled form validators."""

    bundle: Bundle
    forms: dict[str, Any]
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def validator(self, form: str) -> Draft202012Validator:
        if form not in self.validators:
            self.validators[form] = Draft202012Validator(self.forms[form])
        return self.validators[form]


class SpecCache:
    """Parsed specs per definition version: parsed once per process, shared read-only."""

    def __init__(self) -> None:
        self._items: dict[uuid.UUID, CachedDefinition] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, definition_id: uuid.UUID) -> CachedDefinition:
        cached = self._items.get(definition_id)
        if cached is not None:
            return cached
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"process definition {definition_id} not found")
        documents = [(parsing.parse_stored(definition.bpmn_xml), definition.file_name)]
        documents += _dependency_documents(session, definition)
        bundle = parsing.build_bundle(definition.key, documents, definition.forms)
        cached = CachedDefinition(bundle, definition.forms)
        with self._lock:
            self._items[definition_id] = cached
        return cached


def _dependency_documents(session: Session, definition: ProcessDefinition) -> list[Any]:
    documents, seen = [], {definition.id}
    pending = [uuid.UUID(d) for d in definition.dependencies.values()]
    while pending:
        dep_id = pending.pop()
        if dep_id in seen:
            continue
        seen.add(dep_id)
        dep = session.get(ProcessDefinition, dep_id)
        if dep is None:
            continue
        documents.append((parsing.parse_stored(dep.bpmn_xml), dep.file_name))
        pending.extend(uuid.UUID(d) for d in dep.dependencies.values())
    return documents


class WorkflowCache:
    """Loaded workflows kept warm per process, valid only for the instance's lock version."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[uuid.UUID, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: uuid.UUID, lock_version: int) -> Any:
        """Remove and return the workflow if it is current; the caller then owns it."""
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is None or item[0] != lock_version:
            return None
        return item[1]

    def put(self, instance_id: uuid.UUID, lock_version: int, workflow: Any) -> None:
        if self._size == 0:
            return
        with self._lock:
            self._items[instance_id] = (lock_version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass
class Engine:
    """The process-wide engine: caches and the database they belong to."""

    db: Database
    specs: SpecCache
    workflows: WorkflowCache


@dataclass
class Loaded:
    """An instance row with its live workflow, ready for one step."""

    row: ProcessInstance
    workflow: Any
    definition: CachedDefinition
    ready_before: set[uuid.UUID]
    timers_before: set[uuid.UUID]
    messages_before: set[uuid.UUID]


Action = Callable[[Any], None]


def create(
    engine: Engine,
    session: Session,
    definition: ProcessDefinition,
    *,
    business_key: str | None,
    variables: dict[str, Any],
    actor: str | None,
) -> Loaded:
    """A new instance row and its fresh workflow (not yet started)."""
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
        variables=_json_safe(variables),
        state="",
        created_at=now,
        updated_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()  # the row first: history and tasks reference it
    record_history(session, row, "instance_started", actor=actor, data={"variables": variables})
    return Loaded(row, workflow, cached, set(), set(), set())


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
        timers_before={t.id for t in _waiting(workflow, TimerEventDefinition)},
        messages_before={t.id for t in _waiting(workflow, MessageEventDefinition)},
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
    completed: list[Any] = []
    try:
        action(workflow)
        workflow.do_engine_steps(did_complete_task=completed.append)
        # A fired timer may make further tasks ready only on a second pass.
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=completed.append)
    except Exception as exc:
        raise _failure(exc) from exc
    now = clock.now()
    if event:
        spec = getattr(event_task, "task_spec", None)
        record_history(
            session, row, event, actor=actor, data=event_data,
            element_id=getattr(spec, "bpmn_id", None),
            element_type=type(spec).__name__ if spec is not None else None,
            task_id=getattr(event_task, "id", None),
        )
    for task in completed:
        _history_element(session, row, task, now)
    _sync_tasks(session, loaded, now)
    _sync_timers(session, loaded, now)
    _sync_messages(session, loaded)
    _finish_if_done(session, loaded, now, actor)
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


def validate_submission(definition: CachedDefinition, element_id: str, data: dict[str, Any]) -> None:
    """Reserved keys and the task form's JSON Schema; 422 names each field."""
    problems = list(_reserved_keys(data, ""))
    meta = definition.bundle.meta.get(element_id)
    if meta is not None and meta.form:
        validator = definition.validator(meta.form)
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
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


def find_task(workflow: Any, task_id: uuid.UUID) -> Any:
    """The engine task with this id, anywhere in the workflow, or None."""
    return workflow.get_task_from_id(task_id)


def fire_timer(task_id: uuid.UUID) -> Action:
    """An action that makes the waiting timer `task_id` fire now."""

    def action(workflow: Any) -> None:
        task = workflow.get_task_from_id(task_id)
        if task is None or not task.has_state(TaskState.WAITING):
            return
        definition = task.task_spec.event_definition
        if isinstance(definition, CycleTimerEventDefinition):
            value = task._get_internal_data("event_value")
            if isinstance(value, dict) and value.get("cycles", 0) != 0:
                value["next"] = (clock.now() - timedelta(microseconds=1)).isoformat()
        else:
            task._set_internal_data(event_fired=True)
        workflow.refresh_timers()

    return action


def _failure(exc: Exception) -> EngineFailure:
    task = getattr(exc, "task", None)
    element_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    if element_id is None:
        element_id = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
    cause = exc
    while cause.__cause__ is not None or getattr(cause, "exception", None) is not None:
        inner = getattr(cause, "exception", None) or cause.__cause__
        if inner is None or inner is cause:
            break
        cause = inner
    if isinstance(cause, expressions.ExpressionRefused):
        return EngineFailure(f"expression refused: {cause.reason}", element_id)
    return EngineFailure(str(exc), element_id)


def _ready_human_tasks(workflow: Any) -> list[Any]:
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [t for t in tasks if t.task_spec.bpmn_id is not None]


def _waiting(workflow: Any, kind: type) -> list[Any]:
    return [
        t
        for t in workflow.event_manager.tasks.values()
        if isinstance(t.task_spec.event_definition, kind)
    ]


def _sync_tasks(session: Session, loaded: Loaded, now: datetime) -> None:
    workflow, row = loaded.workflow, loaded.row
    ready_now = {t.id: t for t in _ready_human_tasks(workflow)}
    for task_id in loaded.ready_before - set(ready_now):
        task = workflow.get_task_from_id(task_id)
        done = task is not None and task.has_state(TaskState.COMPLETED)
        session.execute(
            update(TaskRecord)
            .where(TaskRecord.id == task_id, TaskRecord.state == "ready")
            .values(state="completed" if done else "cancelled", completed_at=now)
        )
        if not done:
            record_history(session, row, "task_cancelled", task_id=task_id)
    for task_id, task in ready_now.items():
        if task_id in loaded.ready_before:
            continue
        record = _task_record(row, task, loaded.definition.bundle.meta.get(task.task_spec.bpmn_id), now)
        session.add(record)
        record_history(
            session, row, "task_created", element_id=record.element_id, task_id=task_id,
            element_type=record.element_type,
        )
    loaded.ready_before = set(ready_now)


def _task_record(row: ProcessInstance, task: Any, meta: ElementMeta | None, now: datetime) -> TaskRecord:
    spec = task.task_spec
    data = _json_safe(task.data)
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
        candidate_units=_candidate_units(meta, data),
        form=meta.form if meta else None,
        documentation=spec.documentation,
        input=data,
        due_at=_due(meta, data, now),
        created_at=now,
    )


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


def _sync_timers(session: Session, loaded: Loaded, now: datetime) -> None:
    waiting = {t.id: t for t in _waiting(loaded.workflow, TimerEventDefinition)}
    gone = loaded.timers_before - set(waiting)
    if gone:
        session.execute(
            delete(Job).where(Job.instance_id == loaded.row.id, Job.task_id.in_(gone))
        )
    for task_id, task in waiting.items():
        due = _timer_due(task)
        if due is None:
            continue
        if task_id in loaded.timers_before:
            if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
                session.execute(
                    update(Job)
                    .where(Job.instance_id == loaded.row.id, Job.task_id == task_id)
                    .values(due_at=due)
                )
            continue
        session.add(
            Job(
                id=uuid.uuid4(), instance_id=loaded.row.id, task_id=task_id,
                element_id=task.task_spec.bpmn_id or task.task_spec.name, kind="timer",
                due_at=due, status="waiting", attempts=0, created_at=now,
            )
        )
    loaded.timers_before = set(waiting)


def _timer_due(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(value, dict):
        if value.get("cycles", 0) == 0:
            return None
        value = value["next"]
    due: datetime = TimerEventDefinition.get_datetime(str(value))
    return due


def _sync_messages(session: Session, loaded: Loaded) -> None:
    waiting = {t.id: t for t in _waiting(loaded.workflow, MessageEventDefinition)}
    gone = loaded.messages_before - set(waiting)
    if gone:
        session.execute(
            delete(MessageSubscription).where(
                MessageSubscription.instance_id == loaded.row.id,
                MessageSubscription.task_id.in_(gone),
            )
        )
    for task_id, task in waiting.items():
        if task_id in loaded.messages_before:
            continue
        session.add(
            MessageSubscription(
                id=uuid.uuid4(), instance_id=loaded.row.id, task_id=task_id,
                element_id=task.task_spec.bpmn_id or task.task_spec.name,
                message_name=task.task_spec.event_definition.name,
                correlation_key=loaded.row.business_key,
            )
        )
    loaded.messages_before = set(waiting)


def _finish_if_done(session: Session, loaded: Loaded, now: datetime, actor: str | None) -> None:
    workflow, row = loaded.workflow, loaded.row
    last = workflow.last_task
    if last is not None:
        row.variables = _json_safe(last.data)
    if workflow.completed and row.status == "running":
        row.status = "completed"
        row.ended_at = now
        record_history(session, row, "instance_completed", actor=actor)


def _history_element(session: Session, row: ProcessInstance, task: Any, now: datetime) -> None:
    spec = task.task_spec
    if spec.bpmn_id is None or getattr(spec, "manual", False):
        return  # engine-internal tasks; human tasks are recorded by the service with their actor
    record_history(
        session, row, "element_completed", element_id=spec.bpmn_id, task_id=task.id,
        element_type=type(spec).__name__,
    )


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
            instance_id=row.id, at=clock.now(), event=event, element_id=element_id,
            element_type=element_type, task_id=task_id, actor=actor,
            data=_json_safe(data) if data is not None else None,
        )
    )




def _reserved_keys(value: Any, path: str) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}/{key}" if path else str(key)
            if not isinstance(key, str) or key.startswith("_") or key == "typename":
                yield {"field": where, "message": "reserved key: no '_' prefix and no 'typename'"}
            else:
                yield from _reserved_keys(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _reserved_keys(item, f"{path}/{index}")


def _json_safe(data: Any) -> Any:
    """Task data as plain JSON values (engine data may hold non-JSON leftovers)."""
    if isinstance(data, dict):
        return {
            str(k): _json_safe(v)
            for k, v in data.items()
            if not (isinstance(k, str) and k.startswith("_")) and not callable(v)
        }
    if isinstance(data, list | tuple):
        return [_json_safe(v) for v in data]
    if data is None or isinstance(data, str | int | float | bool):
        return data
    if isinstance(data, datetime):
        return data.isoformat()
    return str(data)


def ready_task_ids(session: Session, instance_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of the instance's ready human tasks, from the projection."""
    return list(
        session.scalars(
            select(TaskRecord.id).where(
                TaskRecord.instance_id == instance_id, TaskRecord.state == "ready"
            )
        )
    )
