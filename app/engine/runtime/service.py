"""Engine use cases: deploy, start, complete, claim, cancel, message, jobs.

Services flush, never commit: the route's transaction commits once.
"""

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from app.db import transaction_scoped
from app.engine.persist import state
from app.engine.persist.activity_instances import MOVE_UNIT
from app.engine.persist.data import data_problems
from app.engine.persist.models import (
    HistoryEvent,
    Incident,
    InstanceUnit,
    Job,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime import deployment, details, events, failures, names, notices, suspension
from app.engine.runtime import engine as runtime
from app.engine.runtime.advance import EngineFailure
from app.engine.runtime.correlation import (
    Correlation,
    message_receivers,
    message_start_definitions,
    owned_by,
    signal_receivers,
    signal_start_definitions,
)
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.notices import Notice
from app.engine.runtime.projection import OPEN_TASK_COLUMNS
from app.engine.schemas import (
    InstanceDetail,
    MessageResult,
    ReachedInstance,
    TaskOut,
)
from app.kit.clock import clock
from app.kit.errors import (
    InstanceNotRunning,
    InvalidData,
    JobNotDue,
    NoMessageReceiver,
    NotFound,
    SignalLoop,
    TaskNotClaimable,
    TaskNotReady,
)


@dataclass
class Outcome:
    """A committed result; `failure` is set when the process failed and an incident was raised.

    `loaded` is the instance as the step left it (for the response, see `step_detail`).
    """

    instance_id: uuid.UUID
    failure: EngineFailure | None = None
    incident_id: uuid.UUID | None = None
    loaded: Loaded | None = None


# A task with its instance, in one query (see `find_task`).
TASK_WITH_INSTANCE = (
    select(TaskRecord)
    .join(TaskRecord.instance)
    .options(contains_eager(TaskRecord.instance))
    .where(TaskRecord.id == bindparam("task_id"))
)


# --- instances ---------------------------------------------------------------------------


def start(
    engine: Engine,
    session: Session,
    *,
    process_key: str,
    version: int | None,
    business_key: str | None,
    variables: dict[str, Any],
    actor: str | None,
    unit_code: str | None = None,
) -> Outcome:
    """Create an instance of the latest (or given) version, owned by `unit_code`, and run it
    until it waits."""
    _check_data(variables)
    definition = _definition_for(session, process_key, version)
    if events.conditional_starts(engine.specs.get(session, definition.id).bundle.spec):
        message = (
            f"process '{process_key}' starts when its condition holds: evaluate it with "
            "POST /api/v1/conditions"
        )
        raise InvalidData(message, errors=[{"field": "process_key", "message": message}])
    loaded = runtime.create(
        engine,
        session,
        definition,
        business_key=business_key,
        variables=variables,
        actor=actor,
        unit_code=unit_code,
    )
    return run_step(engine, session, loaded, lambda wf: None, actor=actor)


def _definition_for(session: Session, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        definition = deployment.latest_version(session, key)
    else:
        definition = session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        ).first()
    if definition is None:
        suffix = f" version {version}" if version else ""
        raise NotFound(f"process '{key}'{suffix} is not deployed")
    return definition


def run_step(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    action: runtime.Action,
    *,
    actor: str | None,
    event: str | None = None,
    event_data: dict[str, Any] | None = None,
    event_task: Any = None,
    trigger: dict[str, Any] | None = None,
) -> Outcome:
    """Step the instance; a failure is an incident keeping the step's trigger (`trigger` when
    the event does not say what to run again), with nothing of the step written."""
    try:
        runtime.step(
            engine,
            session,
            loaded,
            action,
            actor=actor,
            event=event,
            event_data=event_data,
            event_task=event_task,
        )
    except EngineFailure as failure:
        kept = trigger or failures.trigger_of(
            new=loaded.new, event=event, event_data=event_data, event_task=event_task, actor=actor
        )
        runtime.keep_failed_start(session, loaded)
        incident = raise_incident(
            session,
            loaded.row,
            "process_error",
            failure.message,
            element_id=failure.element_id,
            trigger=kept,
        )
        return Outcome(loaded.row.id, failure, incident.id)
    if loaded.thrown:
        spread_thrown_signals(engine, session, loaded)
    return Outcome(loaded.row.id, loaded=loaded)


def raise_incident(
    session: Session,
    row: ProcessInstance,
    kind: str,
    message: str,
    *,
    element_id: str | None = None,
    job_id: uuid.UUID | None = None,
    external_task_id: uuid.UUID | None = None,
    trigger: dict[str, Any] | None = None,
) -> Incident:
    """Put the instance in `error` with an incident an operator can see (the state is kept)."""
    row.status = "error"
    row.updated_at = clock.now()
    incident = Incident(
        id=uuid.uuid4(),
        instance_id=row.id,
        process_key=row.process_key,
        kind=kind,
        element_id=element_id,
        job_id=job_id,
        external_task_id=external_task_id,
        message=message[:4000],
        trigger=trigger,
        attempts=1,
        created_at=clock.now(),
    )
    session.add(incident)
    notices.publish(
        session, Notice("instance.failed", instance=row, data={"reason": message[:4000]})
    )
    notices.publish(session, Notice("incident.raised", instance=row, incident=incident))
    runtime.record_history(
        session,
        row,
        "incident_raised",
        element_id=element_id,
        data={"kind": kind, "message": message[:4000]},
    )
    session.flush()
    return incident


def started_tasks(session: Session, outcome: Outcome) -> list[TaskOut] | None:
    """The ready tasks of the instance `outcome` started or stepped, named, as the step left
    them when it created each of them (`details.known_ready_tasks`): a domain's answer lists
    them without reading them back. None when they must be read."""
    loaded = outcome.loaded
    if loaded is None:
        return None
    ready = details.known_ready_tasks(loaded)
    if ready is not None:
        names.name_tasks(session, ready, {loaded.row.id: loaded.row.definition_id})
    return ready


def step_detail(session: Session, outcome: Outcome) -> InstanceDetail:
    """The instance as a successful step left it (see `details.after_step`)."""
    if outcome.loaded is None:
        return details.instance_detail(session, outcome.instance_id)
    return details.after_step(session, outcome.loaded)


def cancel(engine: Engine, session: Session, *, instance_id: uuid.UUID, actor: str | None) -> None:
    """Cancel a running (or failed, or suspended) instance."""
    loaded = runtime.load(engine, session, instance_id)
    if loaded.row.status not in ("running", "error", "suspended"):
        raise InstanceNotRunning(f"instance is {loaded.row.status}")
    runtime.cancel(engine, session, loaded, actor=actor)
    notices.publish(session, Notice("instance.cancelled", instance=loaded.row, actor=actor))


# --- tasks -------------------------------------------------------------------------------


def find_task(session: Session, task_id: uuid.UUID) -> TaskRecord | None:
    """A task of the projection, or None; its instance is loaded into the session with it, in
    the same query, because what usually follows (a completion) needs it. A task already in
    the session (`prime_from_warm`) is not read again."""
    known: TaskRecord | None = session.identity_map.get(identity_key(TaskRecord, task_id))
    if known is not None:
        return known
    record: TaskRecord | None = session.scalars(TASK_WITH_INSTANCE, {"task_id": task_id}).first()
    return record


def prime_from_warm(engine: Engine, session: Session, task_id: uuid.UUID) -> bool:
    """Put a ready task and its instance into the session from the warm workflow that knows
    them, as the step that kept it wrote them, so that completing the task reads neither.

    The completion's write then checks what it relied on: the instance's version (every change
    of an instance row bumps it), and that the task is still ready, held by nobody else and of
    the same unit (COMPLETE_TASK); the task's assignee comes back with it. When another request
    changed either in between, the write finds nothing and the caller runs the completion again
    on what the database holds (app.db.StaleView). False when there is nothing to prime from,
    or the session holds either already: the caller reads them.
    """
    warm = engine.workflows.holding(task_id)
    values = None if warm is None else warm.row
    if warm is None or values is None:
        return False
    task_row = warm.tasks[task_id]
    identities = session.identity_map
    if identity_key(ProcessInstance, values["id"]) in identities or (
        identity_key(TaskRecord, task_id) in identities
    ):
        return False
    primed = (
        _loaded(ProcessInstance, values),
        _loaded(TaskRecord, {**OPEN_TASK_COLUMNS, **task_row}),
    )
    for obj in primed:
        session.add(obj)
    session.info[PRIMED] = primed  # the identity map holds unchanged objects weakly
    return True


def _loaded(model: Any, values: dict[str, Any]) -> Any:
    """An object of `model` as a query would load it with `values` (detached: persistent once
    added to a session, with nothing for the ORM to write)."""
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    return obj


def unprime(session: Session) -> None:
    """Take what `prime_from_warm` put into the session out again: the next look reads."""
    for obj in session.info.pop(PRIMED, ()):
        if obj in session:
            session.expunge(obj)


PRIMED = transaction_scoped("ducha_primed_from_warm")


def get_task(session: Session, task_id: uuid.UUID) -> TaskRecord:
    """A task of the projection, or 404."""
    record = session.get(TaskRecord, task_id) or find_task(session, task_id)
    if record is None:
        raise NotFound(f"task {task_id} not found")
    return record


@dataclass
class Completion:
    """A completion checked and ready to run (`run_completion`): the instance, the engine task
    and what was submitted."""

    loaded: Loaded
    task: Any
    submitted: dict[str, Any]
    actor: str | None


def prepare_completion(
    engine: Engine,
    session: Session,
    *,
    task_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
) -> Completion:
    """Check that a ready human task may be completed with submitted data; nothing is written
    (a refusal here leaves the transaction as it was)."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    if record.assignee is not None and record.assignee != actor:
        raise TaskNotClaimable(f"task is claimed by {record.assignee}")
    loaded = runtime.load(engine, session, record.instance_id)
    loaded.task_unit = (record.unit_code,)
    suspension.require_running(loaded.row)
    task = state.find_task(loaded.workflow, task_id)
    if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise TaskNotReady("task is not ready in the engine")
    runtime.validate_submission(loaded.definition, task, variables)
    return Completion(loaded, task, copy.deepcopy(variables), actor)


def complete(
    engine: Engine,
    session: Session,
    *,
    task_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
) -> Outcome:
    """Complete a ready human task with submitted data, then run the process until it waits."""
    completion = prepare_completion(
        engine, session, task_id=task_id, variables=variables, actor=actor
    )
    return run_completion(engine, session, completion)


def run_completion(engine: Engine, session: Session, completion: Completion) -> Outcome:
    """Complete the task `prepare_completion` checked, then run the process until it waits."""
    loaded, task, submitted, actor = (
        completion.loaded,
        completion.task,
        completion.submitted,
        completion.actor,
    )
    loaded.completion = (task.id, actor, submitted)

    def action(_workflow: Any) -> None:
        task.data.update(copy.deepcopy(submitted))
        task.run()

    return run_step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="task_completed",
        event_data={"data": submitted},
        event_task=task,
    )


def claim(session: Session, *, task_id: uuid.UUID, actor: str) -> TaskRecord:
    """Take a ready task; 409 if someone else holds it (or its instance is suspended)."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    suspension.require_not_suspended(session, record.instance_id)
    if record.assignee == actor:
        return record
    result = session.execute(
        update(TaskRecord)
        .where(TaskRecord.id == task_id, TaskRecord.assignee.is_(None), TaskRecord.state == "ready")
        .values(assignee=actor)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise TaskNotClaimable(f"task is claimed by {record.assignee}")
    _task_history(session, record, "task_claimed", actor, {"assignee": actor})
    session.refresh(record)
    notices.publish(session, Notice("task.claimed", task=record, actor=actor))
    return record


def assign(
    session: Session,
    *,
    task_id: uuid.UUID,
    assignee: str | None,
    actor: str | None,
    unit: str | None = None,
) -> TaskRecord:
    """Set or clear a ready task's assignee, and optionally give it to another unit (its open
    activity instance follows); 409 when its instance is suspended."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    suspension.require_not_suspended(session, record.instance_id)
    previous = {"assignee": record.assignee, "unit": record.unit_code}
    record.assignee = assignee
    if unit is not None and unit != record.unit_code:
        record.unit_code = unit
        session.execute(MOVE_UNIT, {"moved_task": task_id, "new_unit": unit})
        if session.get(InstanceUnit, (record.instance_id, unit)) is None:
            session.add(InstanceUnit(instance_id=record.instance_id, unit_code=unit))
    event = "task_unclaimed" if assignee is None and unit is None else "task_assigned"
    data = {"assignee": assignee, "unit": record.unit_code, "previous": previous}
    _task_history(session, record, event, actor, data)
    notices.publish(
        session, Notice("task.assigned", task=record, actor=actor, data={"previous": previous})
    )
    session.flush()
    return record


def _task_history(
    session: Session, record: TaskRecord, event: str, actor: str | None, data: dict[str, Any]
) -> None:
    session.add(
        HistoryEvent(
            instance_id=record.instance_id,
            at=clock.now(),
            event=event,
            element_id=record.element_id,
            element_type=record.element_type,
            task_id=record.id,
            actor=actor,
            data=data,
        )
    )


def _check_data(variables: dict[str, Any]) -> None:
    problems = data_problems(variables)
    if problems:
        raise InvalidData("submitted data is invalid", errors=problems)


# --- messages ----------------------------------------------------------------------------


def send_message(
    engine: Engine,
    session: Session,
    *,
    name: str,
    correlation_key: str | None,
    variables: dict[str, Any],
    actor: str | None,
    visible_instances: Select[Any] | None = None,
    unit_code: str | None = None,
    correlation: Correlation | None = None,
) -> tuple[MessageResult, list[Outcome]]:
    """Deliver a message to the waiting instances it correlates with, or start new ones.

    `correlation` adds the instance id, variables and `all` to the business key (see
    `correlation.message_receivers`); `visible_instances` (a query of instance ids) limits
    delivery to the sender's scope; instances started by the message belong to `unit_code`.
    """
    _check_data(variables)
    correlation = correlation or Correlation(correlation_key=correlation_key)
    receivers = message_receivers(session, name, correlation, visible_instances)
    outcomes = []
    delivered = []
    for instance_id in receivers:
        loaded = runtime.load(engine, session, instance_id)
        outcomes.append(_deliver(engine, session, loaded, name, variables, actor))
        delivered.append(loaded)
    started = []
    if not correlation.targets_instances:
        for definition in message_start_definitions(session, name):
            loaded = runtime.create(
                engine,
                session,
                definition,
                business_key=correlation.correlation_key,
                variables={},
                actor=actor,
                unit_code=unit_code,
            )
            outcome = run_step(engine, session, loaded, lambda wf: None, actor=actor)
            if outcome.failure is None:
                outcome = _deliver(engine, session, loaded, name, variables, actor)
            outcomes.append(outcome)
            started.append(loaded)
    if not delivered and not started:
        raise NoMessageReceiver(f"no instance is waiting for message '{name}'")
    return _reached(delivered, started), outcomes


def _reached(delivered: list[Loaded], started: list[Loaded]) -> MessageResult:
    return MessageResult(
        delivered=[d.row.id for d in delivered],
        started=[s.row.id for s in started],
        instances=[
            ReachedInstance(id=r.row.id, status=r.row.status, variables=r.row.variables)
            for r in (*delivered, *started)
        ],
    )


def _deliver(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    name: str,
    variables: dict[str, Any],
    actor: str | None,
) -> Outcome:
    return run_step(
        engine,
        session,
        loaded,
        message_action(name, variables),
        actor=actor,
        event="message_received",
        event_data={"name": name, "variables": variables},
    )


def message_action(name: str, variables: dict[str, Any]) -> runtime.Action:
    """A step action: the first task waiting for message `name` catches it with `variables`."""

    def action(workflow: Any) -> None:
        for task in list(workflow.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            if getattr(definition, "name", None) == name and hasattr(
                definition, "correlation_properties"
            ):
                task.data.update(copy.deepcopy(variables))
                workflow.catch(BpmnEvent(definition, payload=copy.deepcopy(variables)))
                return

    return action


# --- signals -----------------------------------------------------------------------------

# How deep signals thrown in answer to signals may go in one transaction: past it they loop
# (a process started by a signal that throws it again), and the whole transaction is refused.
MAX_SIGNAL_DEPTH = 10


def broadcast_signal(
    engine: Engine,
    session: Session,
    *,
    name: str,
    variables: dict[str, Any],
    actor: str | None,
    visible_instances: Select[Any] | None = None,
    unit_code: str | None = None,
) -> tuple[MessageResult, list[Outcome]]:
    """信号: deliver signal `name` to every catcher waiting in the instances in scope and start
    every latest process with a signal start of that name (owned by `unit_code`). Reaching
    nobody is no error: a broadcast has no receiver obligation."""
    _check_data(variables)
    outcomes: list[Outcome] = []
    delivered, started = _signal(
        engine, session, name, variables, actor, visible_instances, unit_code, None, outcomes
    )
    return _reached(delivered, started), outcomes


def _signal(
    engine: Engine,
    session: Session,
    name: str,
    variables: dict[str, Any] | None,
    actor: str | None,
    visible: Select[Any] | None,
    unit_code: str | None,
    thrower: uuid.UUID | None,
    outcomes: list[Outcome],
) -> tuple[list[Loaded], list[Loaded]]:
    delivered, started = [], []
    for instance_id in signal_receivers(session, name, visible, besides=thrower):
        loaded = runtime.load(engine, session, instance_id)
        outcomes.append(_deliver_signal(engine, session, loaded, name, variables, actor))
        delivered.append(loaded)
    for definition in signal_start_definitions(session, engine.specs, name):
        loaded = runtime.create(
            engine,
            session,
            definition,
            business_key=None,
            variables={},
            actor=actor,
            unit_code=unit_code,
        )
        outcome = run_step(engine, session, loaded, lambda wf: None, actor=actor)
        if outcome.failure is None:
            outcome = _deliver_signal(engine, session, loaded, name, variables, actor)
        outcomes.append(outcome)
        started.append(loaded)
    return delivered, started


def _deliver_signal(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    name: str,
    variables: dict[str, Any] | None,
    actor: str | None,
) -> Outcome:
    def action(workflow: Any) -> None:
        events.catch_signal(workflow, name, variables)

    return run_step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="signal_received",
        event_data={"name": name, "variables": variables or {}},
    )


def spread_thrown_signals(engine: Engine, session: Session, loaded: Loaded) -> None:
    """Signals the step threw reach catchers in other instances of the thrower's owner unit,
    and start processes for it, in the same transaction (the thrower caught its own already).
    Failures there are incidents of those instances, not of the thrower's step."""
    thrown, loaded.thrown = loaded.thrown, []
    depth = session.info.get("signal_depth", 0) + 1
    if depth > MAX_SIGNAL_DEPTH:
        raise SignalLoop(
            f"signal '{thrown[0]}' thrown in answer to signals {MAX_SIGNAL_DEPTH} levels deep "
            "in one transaction: a loop of signals?"
        )
    session.info["signal_depth"] = depth
    try:
        row = loaded.row
        for name in thrown:
            visible = owned_by(row.unit_code)
            _signal(engine, session, name, None, None, visible, row.unit_code, row.id, [])
    finally:
        session.info["signal_depth"] = depth - 1


# --- jobs --------------------------------------------------------------------------------


def _early(job: Job, owner: str | None, reason: str | None) -> dict[str, Any]:
    """What the step's history and listeners learn of a timer fired before its due time."""
    if owner is not None or job.due_at <= clock.now():
        return {}
    return {"before_due": True, "early_reason": reason}


def _held_back(session: Session, job: Job) -> bool:
    """The scheduler took the job of an instance suspended since: the job is released, to
    fire when the instance is activated (not counted as a failure)."""
    row = session.get(ProcessInstance, job.instance_id)
    if row is None or row.status != suspension.SUSPENDED:
        return False
    job.locked_by = job.locked_until = None
    return True


def execute_job(
    engine: Engine,
    session: Session,
    *,
    job_id: uuid.UUID,
    actor: str | None,
    owner: str | None = None,
    early_reason: str | None = None,
) -> Outcome | None:
    """Fire one timer now, once: the job row goes with the step; None if it is already gone.

    An operator's firing before the due time is told to the step's listeners (`before_due`,
    `early_reason`): the domain decides whether what the timer means may happen early.
    """
    job = session.get(Job, job_id, with_for_update=not engine.db.is_sqlite)
    if job is None:
        return None
    if owner is not None and job.locked_by != owner:
        return None  # our lease expired and another process took the job
    if job.status == "failed" and owner is not None:
        raise JobNotDue("job has failed; resolve its incident first")
    if owner is not None and _held_back(session, job):
        return None
    loaded = runtime.load(engine, session, job.instance_id)
    suspension.require_running(loaded.row)
    outcome = run_step(
        engine,
        session,
        loaded,
        events.fire_timer(job.task_id),
        actor=actor,
        event="timer_fired",
        event_data={
            "job_id": str(job.id),
            "element_id": job.element_id,
            "due_at": job.due_at.isoformat(),
            **_early(job, owner, early_reason),
        },
    )
    if outcome.failure is not None:
        job.status, job.last_error = "failed", outcome.failure.message
        job.attempts, job.retries, job.next_attempt_at = job.attempts + 1, 0, None
        job.locked_by = job.locked_until = None
        incident = session.get(Incident, outcome.incident_id)
        if incident is not None:
            incident.job_id = job.id
    return outcome
