"""Load, step and save one instance: engine step, task projection, jobs and history together."""

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.db import Database
from app.engine import persist
from app.engine.persist import Writes, history_row, state
from app.engine.persist.data import data_problems, json_safe
from app.engine.persist.models import (
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime import (
    activity_instances,
    advance,
    decisions,
    events,
    external,
    suspension,
    trace,
)
from app.engine.runtime.caches import CachedDefinition, SpecCache, Warm, WorkflowCache
from app.engine.runtime.projection import OPEN_TASK_COLUMNS, ready_human_tasks, task_row
from app.engine.runtime.steps import StepRegistry
from app.kit.clock import clock
from app.kit.errors import InvalidData, NotFound
from app.kit.i18n import MESSAGES_KEY, schema_messages


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
    created_rows: list[dict[str, Any]]
    engine: "Engine"  # for listeners whose records start other processes
    started: bool = False  # the step started the instance
    # What set the step going (history event name: task_completed, timer_fired, ...) and on
    # which human task (the event outbox tells integrators).
    trigger: str | None = None
    trigger_data: dict[str, Any] | None = None
    trigger_task: uuid.UUID | None = None

    @cached_property
    def created(self) -> list[TaskRecord]:
        """The tasks the step made ready, as (detached) projection records; built on first use."""
        return [TaskRecord(**OPEN_TASK_COLUMNS, **row) for row in self.created_rows]


# A domain's mark for a ready task from its due instant and now (e.g. a traffic light).
DueMarker = Callable[[datetime, datetime], str]
# Told what each step reached and which flows it took (`ducha test`'s flow coverage).
Tracer = Callable[[trace.StepTrace], None]


@dataclass
class Engine:
    """The process-wide engine: caches, the database they belong to, and step handlers.

    Step handlers (app.engine.steps) let a domain record what a step meant, in the same
    transaction, without the engine knowing that domain.
    """

    db: Database
    specs: SpecCache
    workflows: WorkflowCache
    steps: StepRegistry = field(default_factory=StepRegistry)  # the domains' step handlers
    # A hook the app installs: a domain's mark for ready tasks by their due instant (the
    # engine knows no rule of its own); none: tasks carry no mark.
    due_marker: DueMarker | None = None
    # The roles a task's candidate groups may name (the app installs its roles); deploy refuses
    # any other, which would make a task nobody may claim. None: not checked.
    roles: frozenset[str] | None = None
    decision_tables: decisions.DecisionCache = field(default_factory=decisions.DecisionCache)
    # Scenario runs install one; the service none, and then no step computes a trace.
    tracer: Tracer | None = None

    def mark_due(self, state: str, due_at: datetime | None, now: datetime) -> str | None:
        """The domain's mark of one task, when a marker is installed and the task is open and
        due."""
        if self.due_marker is None or state != "ready" or due_at is None:
            return None
        return self.due_marker(due_at, now)

    def decide(self, session: Session, key: str, data: dict[str, Any]) -> Any:
        """Decision `key` (its latest deployed DMN table) evaluated against `data`: the result
        by the table's hit policy; 404 when no such decision is deployed."""
        return decisions.evaluate(self.decision_tables, session, key, data)

    def __post_init__(self) -> None:
        state.install_clock()  # timers and expression helpers read the service clock


@dataclass
class Loaded:
    """An instance row with its live workflow, ready for one step.

    A step does not touch the row's attributes: it collects the row's `changes` and the other
    rows it `writes`, and `save` sends them (app.engine.persist).
    """

    row: ProcessInstance
    workflow: Any
    definition: CachedDefinition
    ready_before: set[uuid.UUID]
    timers_before: dict[uuid.UUID, datetime]
    messages_before: set[uuid.UUID]
    involved: set[str] = field(default_factory=set)
    # The human task this step completes: (task id, who, what they submitted).
    completion: tuple[uuid.UUID, str | None, dict[str, Any]] | None = None
    # `tasks` rows the last step created (the response lists them without reading them back).
    created: list[dict[str, Any]] = field(default_factory=list)
    # The instance's `jobs` rows when the last step created every one of them (its waiting
    # timers are all new: the response lists them without reading them back); None: unknown.
    jobs: list[dict[str, Any]] | None = None
    new: bool = False  # the row is not in the database yet (a start)
    started: bool = False  # the instance was created in this transaction
    writes: Writes = field(default_factory=Writes)
    changes: dict[str, Any] = field(default_factory=dict)
    start_variables: dict[str, Any] = field(default_factory=dict)
    # Whether the instance has incidents, when the last save learnt it in passing (else None).
    has_incidents: bool | None = None
    # Signals the last step threw: the service spreads them to other instances.
    thrown: list[str] = field(default_factory=list)
    # Engine tasks of the elements that wait (their activity instances are open).
    live_before: set[uuid.UUID] = field(default_factory=set)
    # `tasks` rows of ready tasks as they were written, where known (from the warm workflow,
    # and those the last step created): kept with the workflow for read-free completions.
    tasks: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    # The completed task's unit as the completion decided access on it, `(unit,)`: its write
    # checks that the row still has it (None: not checked, e.g. a step run again).
    task_unit: tuple[str | None] | None = None


@dataclass(frozen=True)
class Before:
    """What waits in a workflow, where a step starts from: its ready human tasks, its timers'
    dues, its message and signal waits, its live activities. A step leaves the next step's with
    the warm workflow (`Before.kept`), so that loading a warm one does not walk its tree again."""

    ready: frozenset[uuid.UUID]
    timers: dict[uuid.UUID, datetime]
    messages: frozenset[uuid.UUID]
    live: frozenset[uuid.UUID]

    @classmethod
    def of(cls, workflow: Any) -> "Before":
        """Found by walking the workflow's tasks (a workflow deserialized or kept without one)."""
        return cls(
            frozenset(t.id for t in ready_human_tasks(workflow)),
            events.timer_dues(workflow),
            frozenset(events.message_waits(workflow)),
            frozenset(activity_instances.live(workflow)),
        )

    @classmethod
    def kept(cls, loaded: Loaded) -> "Before":
        """What the step that just ran found waiting (the sets it synchronised the rows with)."""
        return cls(
            frozenset(loaded.ready_before),
            dict(loaded.timers_before),
            frozenset(loaded.messages_before),
            frozenset(loaded.live_before),
        )


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
    """A new instance row and its fresh workflow (not yet started), owned by `unit_code`; 409
    when the definition version is suspended.

    Nothing is written yet: the first step's `save` inserts the row with everything else.
    """
    suspension.require_startable(definition)
    cached, bindings = engine.specs.bind(session, definition.id)
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
        lock_version=1,
        created_at=now,
        updated_at=now,
        ended_at=None,
        created_by=actor,
        unit_code=unit_code,
        completed_elements=[],
        bindings=bindings,
    )
    loaded = Loaded(
        row,
        _fresh_workflow(cached, variables),
        cached,
        set(),
        {},
        set(),
        new=True,
        started=True,
        start_variables=variables,
    )
    if unit_code is not None:
        loaded.writes.units.append({"instance_id": row.id, "unit_code": unit_code})
    loaded.writes.history.append(
        history_row(row.id, "instance_started", actor=actor, data={"variables": variables})
    )
    return loaded


def _fresh_workflow(cached: CachedDefinition, variables: dict[str, Any]) -> Any:
    workflow = state.new_workflow(cached.bundle.spec, cached.bundle.subprocess_specs)
    workflow.task_tree.data.update(copy.deepcopy(variables))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(variables))
    return workflow


def load(engine: Engine, session: Session, instance_id: uuid.UUID) -> Loaded:
    """The instance and its workflow: from the warm cache when current, else deserialized."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"process instance {instance_id} not found")
    cached, bindings = engine.specs.get(session, row.definition_id, row.bindings), row.bindings
    if cached.bundle.missing:  # a called process missing so far may be deployed by now
        cached, bindings = engine.specs.bind(session, row.definition_id, row.bindings)
    warm = engine.workflows.take(row.id, row.lock_version)
    if warm is None or bindings != row.bindings:  # a warm one lacks the new binding
        stored = persist.stored_state(session, row.id)
        warm = Warm(state.load(stored, cached.bundle.spec, cached.bundle.subprocess_specs))
    before = Before.of(warm.workflow) if warm.before is None else warm.before
    loaded = Loaded(
        row,
        warm.workflow,
        cached,
        ready_before=set(before.ready),
        timers_before=dict(before.timers),
        messages_before=set(before.messages),
        live_before=set(before.live),
        tasks=dict(warm.tasks),
    )
    if bindings != row.bindings:
        loaded.changes["bindings"] = bindings
    return loaded


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

    `event` is recorded first in history (with `event_task`'s element when given). Nothing is
    written when the engine fails (EngineFailure): the caller raises an incident instead.
    """
    workflow, row, writes = loaded.workflow, loaded.row, loaded.writes
    refs = loaded.definition.bundle.decisions
    if refs:  # business rule tasks evaluate the latest deployed version of their decision
        workflow.decisions = decisions.latest_tables(engine.decision_tables, session, refs)
    completed = advance.run(workflow, action)
    now = clock.now()
    if event:
        spec = getattr(event_task, "task_spec", None)
        writes.history.append(
            history_row(
                row.id,
                event,
                actor=actor,
                data=event_data,
                element_id=getattr(spec, "bpmn_id", None),
                element_type=type(spec).__name__ if spec is not None else None,
                task_id=getattr(event_task, "id", None),
            )
        )
    for task in completed:
        _history_element(writes, row, task)
    done = [event_task, *completed] if event_task is not None else completed
    _note_completed(loaded, done)
    loaded.thrown = events.thrown_signals(completed)
    _drain_events(writes, row, workflow)
    _sync_tasks(session, loaded, now)
    external.sync(session, loaded, now)  # service tasks waiting for workers
    _sync_activities(loaded, completed, now)
    before = loaded.timers_before
    loaded.timers_before = events.sync_timers(writes, row, workflow, before, now)
    loaded.jobs = None if before.keys() & loaded.timers_before.keys() else list(writes.new_jobs)
    loaded.messages_before = events.sync_messages(writes, row, workflow, loaded.messages_before)
    _finish_if_done(loaded, now, actor)
    if engine.tracer is not None:  # before pruning: the tree still shows where tokens went
        engine.tracer(trace.of_step(row.id, workflow, done))
    state.prune(workflow)
    loaded.changes["updated_at"] = now
    save(session, loaded, state.dump(workflow))
    if engine.steps.domains:
        trigger = (event, event_data, getattr(event_task, "id", None))
        _notify(engine, session, loaded, actor, done, trigger)
    lock_version, after = row.lock_version, Before.kept(loaded)
    kept_row, tasks = _row_values(row), _known_tasks(loaded)
    engine.db.after_commit(
        lambda: engine.workflows.put(
            row.id, lock_version, workflow, after, row=kept_row, tasks=tasks
        )
    )


# The instance row's columns a read-free completion rebuilds it from (all but the state).
_ROW_COLUMNS = tuple(c.key for c in ProcessInstance.__mapper__.column_attrs if c.key != "state")


def _row_values(row: ProcessInstance) -> dict[str, Any] | None:
    """The row's values as this step leaves them; None when one is not loaded."""
    values = row.__dict__
    if any(name not in values for name in _ROW_COLUMNS):
        return None
    return {name: values[name] for name in _ROW_COLUMNS}


def _known_tasks(loaded: Loaded) -> dict[uuid.UUID, dict[str, Any]]:
    """Rows of the tasks still ready that the step knew or created, without their input data
    (the workflow holds it; a completion does not read it, and a look at it loads it); they
    become the loaded instance's known tasks for a next step in the same transaction."""
    known = {t: r for t, r in loaded.tasks.items() if t in loaded.ready_before}
    known.update((r["id"], {k: v for k, v in r.items() if k != "input"}) for r in loaded.created)
    loaded.tasks = known
    return known


def save(session: Session, loaded: Loaded, stored_state: str) -> None:
    """Send what the step collected (the row inserted when new, else updated) and start over."""
    loaded.has_incidents = persist.save(
        session,
        loaded.row,
        loaded.writes,
        new=loaded.new,
        state=stored_state,
        changes=loaded.changes,
    )
    loaded.new = False
    loaded.writes = Writes()
    loaded.changes = {}
    # What the caller added to the session before the step goes out too: services flush, so
    # later queries of the transaction see it (nothing to do, and cheap, on a completion).
    session.flush()


def keep_failed_start(session: Session, loaded: Loaded) -> None:
    """A start whose first step failed: the instance is kept as created (with its unstarted
    workflow, its owner unit — who sees it — and its `instance_started` history), so that the
    incident about it has an instance to point at and a retry runs the start again."""
    if not loaded.new:
        return
    fresh = _fresh_workflow(loaded.definition, loaded.start_variables)
    loaded.created = []
    failed, owner = loaded.writes, loaded.row.unit_code
    loaded.writes = Writes(  # nothing else the failed step had collected is kept
        units=[u for u in failed.units if u["unit_code"] == owner],
        history=[h for h in failed.history if h["event"] == "instance_started"],
    )
    loaded.changes.pop("completed_elements", None)
    save(session, loaded, state.dump(fresh))


def cancel(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    *,
    actor: str | None,
    note: dict[str, Any] | None = None,
) -> None:
    """Cancel every open task; the instance ends as `cancelled` (`note`: why, in history)."""
    now = clock.now()
    loaded.workflow.cancel()
    _sync_tasks(session, loaded, now)
    _sync_activities(loaded, [], now)
    session.execute(delete(Job).where(Job.instance_id == loaded.row.id))
    session.execute(
        delete(MessageSubscription).where(MessageSubscription.instance_id == loaded.row.id)
    )
    external.forget(session, loaded.row.id)
    loaded.timers_before, loaded.messages_before = {}, set()
    loaded.changes.update(status="cancelled", ended_at=now, updated_at=now)
    loaded.writes.history.append(
        history_row(loaded.row.id, "instance_cancelled", actor=actor, data=note)
    )
    save(session, loaded, state.dump(loaded.workflow))


def validate_submission(definition: CachedDefinition, task: Any, submitted: dict[str, Any]) -> None:
    """Reserved keys and the engine task's form (JSON Schema); 422 names each field."""
    problems = data_problems(submitted)
    if problems:
        raise InvalidData("submitted data is invalid", errors=problems)
    meta = definition.meta_for(task)
    if meta is not None and meta.form:
        validator = definition.validator(meta.form)
        for error in sorted(validator.iter_errors(submitted), key=lambda e: list(e.path)):
            where = _error_field(error)
            problems.append(
                {
                    "field": where,
                    "message": error.message,
                    MESSAGES_KEY: schema_messages(error, where, validator.schema),
                }
            )
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


def _sync_tasks(session: Session, loaded: Loaded, now: datetime) -> None:
    """Close the projection rows of tasks no longer ready; add rows for newly ready ones."""
    workflow, row, writes = loaded.workflow, loaded.row, loaded.writes
    ready_now = {t.id: t for t in ready_human_tasks(workflow)}
    for task_id in loaded.ready_before - set(ready_now):
        task = state.find_task(workflow, task_id)
        done = task is not None and task.has_state(TaskState.COMPLETED)
        if done and loaded.completion is not None and loaded.completion[0] == task_id:
            _, by, submitted = loaded.completion
            writes.completed_task = {"done_task": task_id, "at": now, "by": by, "data": submitted}
            writes.completed_task.update(persist.held_params(loaded.task_unit))
            continue
        writes.closed_tasks.append(
            {"task_id": task_id, "new_state": "completed" if done else "cancelled", "at": now}
        )
        if not done:
            writes.history.append(history_row(row.id, "task_cancelled", task_id=task_id))
    created = []
    for task_id, task in ready_now.items():
        if task_id in loaded.ready_before:
            continue
        meta = loaded.definition.meta_for(task)
        record = task_row(row.id, row.process_key, row.unit_code, task, meta, now)
        writes.new_tasks.append(record)
        created.append(record)
        _involve(loaded, record["unit_code"])
        writes.history.append(
            history_row(
                row.id,
                "task_created",
                element_id=record["element_id"],
                task_id=task_id,
                element_type=record["element_type"],
            )
        )
    loaded.ready_before = set(ready_now)
    loaded.created = created


def _sync_activities(loaded: Loaded, ran: list[Any], now: datetime) -> None:
    """Activity instances: rows for elements that went live, ran or ended in the step."""
    loaded.live_before = activity_instances.sync(
        loaded.writes,
        loaded.row,
        loaded.workflow,
        before=loaded.live_before,
        ran=ran,
        created=loaded.created,
        completion=loaded.completion,
        now=now,
    )


def _involve(loaded: Loaded, unit_code: str | None) -> None:
    """Record that a unit takes part in the instance (it then sees the instance)."""
    row = loaded.row
    if unit_code is None or unit_code == row.unit_code or unit_code in loaded.involved:
        return
    loaded.involved.add(unit_code)
    # Written with ON CONFLICT DO NOTHING: a unit already involved is not read first.
    loaded.writes.units.append({"instance_id": row.id, "unit_code": unit_code})


def _finish_if_done(loaded: Loaded, now: datetime, actor: str | None) -> None:
    workflow, row = loaded.workflow, loaded.row
    last = workflow.last_task
    if last is not None:
        variables = json_safe(last.data)
        if not state.same(variables, row.variables):
            loaded.changes["variables"] = variables
    if workflow.completed and loaded.changes.get("status", row.status) == "running":
        loaded.changes.update(status="completed", ended_at=now)
        loaded.writes.history.append(history_row(row.id, "instance_completed", actor=actor))


def _notify(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    actor: str | None,
    tasks: list[Any],
    trigger: tuple[str | None, dict[str, Any] | None, uuid.UUID | None],
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
    step_events = StepEvents(
        loaded.row, actor, elements, loaded.created, engine, loaded.started, *trigger
    )
    engine.steps.dispatch(session, step_events)


def _note_completed(loaded: Loaded, tasks: list[Any]) -> None:
    ids = [t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id is not None]
    known = loaded.changes.get("completed_elements", loaded.row.completed_elements)
    new = [i for i in dict.fromkeys(ids) if i not in known]
    if new:
        loaded.changes["completed_elements"] = [*known, *new]


def _history_element(writes: Writes, row: ProcessInstance, task: Any) -> None:
    spec = task.task_spec
    if spec.bpmn_id is None or getattr(spec, "manual", False):
        return  # engine-internal tasks; human tasks are recorded by the service with their actor
    writes.history.append(
        history_row(
            row.id,
            "element_completed",
            element_id=spec.bpmn_id,
            task_id=task.id,
            element_type=type(spec).__name__,
        )
    )


def _drain_events(writes: Writes, row: ProcessInstance, workflow: Any) -> None:
    """Events no task of the instance caught (a thrown message, an uncaught escalation): into
    history, out of the state, where SpiffWorkflow would keep them forever."""
    for event in workflow.get_events():
        definition = event.event_definition
        data = {"name": definition.name, "type": type(definition).__name__}
        if event.payload is not None:
            data["payload"] = event.payload
        writes.history.append(history_row(row.id, "event_unhandled", data=data))


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
    """Append one history event now (outside a step: incidents, claims)."""
    values = history_row(
        row.id,
        event,
        actor=actor,
        element_id=element_id,
        element_type=element_type,
        task_id=task_id,
        data=data,
    )
    session.connection().execute(persist.INSERT_HISTORY, [values])
