"""Incidents (故障) an operator retries or resolves.

Every failure is one incident: a step that failed (`process_error`, with the trigger it ran
on), a timer job out of retries (`job_failed`), an external task out of retries or with an
uncaught BPMN error. A failed step wrote nothing, so the instance keeps the state from before
it; **retry** runs the same trigger again on that state (after a fix: changed variables, a
deployed called process) — a start from its unstarted state, a completion with what was
submitted merged with `variables`, a timer firing, a message or signal delivered again, a
worker's completion; an external task gets a retry back instead (a worker fetches it).
Success resolves the incident (`retried`); a new failure keeps it open with the new cause
and one more attempt. **Resolve** closes it without running anything.
"""

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.engine.persist import state
from app.engine.persist.data import data_problems, json_safe
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import Incident, Job, ProcessInstance
from app.engine.runtime import edits, events, external, external_tasks, failures, service
from app.engine.runtime import engine as runtime
from app.engine.runtime.advance import EngineFailure
from app.engine.runtime.engine import Engine, Loaded
from app.engine.specs.external import is_ready_external
from app.kit.errors import DomainError, InstanceNotRunning, InvalidData, NotFound


class IncidentClosed(DomainError):
    """The incident is resolved already: nothing to retry or resolve."""

    status, code = 409, "incident_resolved"


class NotReplayable(DomainError):
    """The failed step cannot be run again as it was (its task or job is gone)."""

    status, code = 409, "not_replayable"


class StepRefused(DomainError):
    """A domain refused the step a retry ran (its handler raised): the retry's transaction
    rolls back, and the incident notes the new cause in one of its own (`note_refused`)."""

    status, code = 422, "process_error"

    def __init__(self, incident: Incident, cause: DomainError) -> None:
        message = f"{cause.code}: {cause.detail}"
        super().__init__(message, errors=[{"element_id": incident.element_id, "message": message}])
        self.incident_id = incident.id
        self.instance_id = incident.instance_id
        self.element_id = incident.element_id
        self.message = message


@dataclass
class Replay:
    """The failed step as it runs again."""

    action: runtime.Action
    actor: str | None
    event: str | None = None
    event_data: dict[str, Any] | None = None
    event_task: Any = None
    started: bool = False  # the step starts the instance (instance.started is told then)
    completion: tuple[uuid.UUID, str | None, dict[str, Any]] | None = None
    touched: list[Any] = field(default_factory=list)  # ready tasks whose data the step set


def open_incident(session: Session, incident_id: uuid.UUID, *, lock: bool) -> Incident:
    """The incident, unresolved (row-locked on PostgreSQL); 404 / 409 otherwise."""
    incident = session.get(Incident, incident_id, with_for_update=lock)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.resolved_at is not None:
        raise IncidentClosed(f"incident {incident_id} is resolved already ({incident.resolution})")
    return incident


def retry(
    engine: Engine,
    session: Session,
    *,
    incident_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
) -> service.Outcome:
    """Run the failed step again (see the module); the outcome says whether it failed again."""
    incident = open_incident(session, incident_id, lock=not engine.db.is_sqlite)
    problems = data_problems(variables)
    if problems:
        for problem in problems:
            problem["field"] = f"variables/{problem['field']}"
        raise InvalidData("variables are invalid", errors=problems)
    if incident.external_task_id is not None:
        return _retry_external(engine, session, incident, variables, actor)
    loaded = runtime.load(engine, session, incident.instance_id)
    if loaded.row.status != "error":
        raise InstanceNotRunning(f"instance is {loaded.row.status}, not in error")
    replay = _replay(session, loaded, incident, variables)
    others = [i for i in failures.open_incidents(session, loaded.row.id) if i.id != incident.id]
    loaded.changes["status"] = "error" if others else "running"
    loaded.started, loaded.completion = replay.started, replay.completion
    try:
        _run(engine, session, loaded, replay)
    except EngineFailure as failure:
        failed_again(session, incident, failure.message, failure.element_id, actor)
        return service.Outcome(loaded.row.id, failure, incident.id)
    except DomainError as refused:  # a domain's handler refused the step: roll it all back
        raise StepRefused(incident, refused) from refused
    edits.refresh_ready(session, loaded, replay.touched)
    if incident.job_id is not None:
        _rearm(session, incident.job_id)
    failures.close(session, incident, actor=actor, resolution="retried")
    return service.Outcome(loaded.row.id, loaded=loaded)


def _run(engine: Engine, session: Session, loaded: Loaded, replay: Replay) -> None:
    """The step, as `service.run_step` runs it, without raising an incident of its own."""
    runtime.step(
        engine,
        session,
        loaded,
        replay.action,
        actor=replay.actor,
        event=replay.event,
        event_data=replay.event_data,
        event_task=replay.event_task,
    )
    if loaded.thrown:
        service.spread_thrown_signals(engine, session, loaded)


def failed_again(
    session: Session,
    incident: Incident,
    message: str,
    element_id: str | None,
    actor: str | None,
) -> None:
    """A retry failed: the incident stays open with the new cause and one more attempt (its
    job, when it has one, stays failed and counts the attempt too)."""
    incident.message = message[:4000]
    incident.element_id = element_id or incident.element_id
    incident.attempts += 1
    job = session.get(Job, incident.job_id) if incident.job_id is not None else None
    if job is not None:
        job.status, job.retries, job.next_attempt_at = "failed", 0, None
        job.attempts, job.last_error = job.attempts + 1, message[:4000]
    row = session.get(ProcessInstance, incident.instance_id)
    if row is not None:
        data = {"incident_id": str(incident.id), "message": message[:4000]}
        runtime.record_history(
            session,
            row,
            "incident_retry_failed",
            actor=actor,
            element_id=incident.element_id,
            data={**data, "attempts": incident.attempts},
        )
    session.flush()


def note_refused(session: Session, *, refused: StepRefused, actor: str | None) -> None:
    """After a refused retry rolled back: note the new cause on the incident, if still open."""
    incident = session.get(Incident, refused.incident_id)
    if incident is not None and incident.resolved_at is None:
        failed_again(session, incident, refused.message, refused.element_id, actor)


def resolve(
    session: Session, *, incident_id: uuid.UUID, note: str, actor: str | None, lock: bool
) -> Incident:
    """Close an incident without running anything: the instance runs again on the state from
    before the failed step when no other incident is open; a failed job stays failed (it can
    still be fired or given retries), an external task keeps its 0 retries."""
    incident = open_incident(session, incident_id, lock=lock)
    if incident.external_task_id is not None:
        row = session.get(ExternalTask, incident.external_task_id)
        if row is not None and row.incident_id == incident.id:
            row.incident_id = None
    failures.close(session, incident, actor=actor, resolution="resolved", note=note)
    return incident


# --- replays, one per trigger --------------------------------------------------------------


def _replay(
    session: Session, loaded: Loaded, incident: Incident, variables: dict[str, Any]
) -> Replay:
    trigger = incident.trigger or {}
    build = REPLAYS.get(trigger.get("event") or "")
    if build is None:
        raise NotReplayable(
            f"the step that failed at '{incident.element_id}' cannot be run again "
            "(what set it going is not known): resolve the incident and repeat the act"
        )
    return build(session, loaded, trigger, variables)


def _with_data(variables: dict[str, Any], inner: runtime.Action, replay: Replay) -> None:
    """Set `variables` in the data first, then run `inner` (a start, a timer)."""

    def action(workflow: Any) -> None:
        if variables:
            replay.touched.extend(edits.apply(workflow, variables, ()))
        inner(workflow)

    replay.action = action


def _start(session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]) -> Replay:
    replay = Replay(action=lambda wf: None, actor=trigger.get("actor"), started=True)
    _with_data(v, lambda wf: None, replay)
    return replay


def _timer(session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]) -> Replay:
    data = trigger.get("data") or {}
    job = session.get(Job, uuid.UUID(str(data.get("job_id"))))
    if job is None:
        raise NotReplayable("the timer's job is gone: resolve the incident")
    event_data = {"job_id": str(job.id), "element_id": job.element_id}
    event_data["due_at"] = job.due_at.isoformat()
    replay = Replay(
        action=lambda wf: None,
        actor=trigger.get("actor"),
        event="timer_fired",
        event_data=event_data,
    )
    _with_data(v, events.fire_timer(job.task_id), replay)
    return replay


def _completion(
    session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]
) -> Replay:
    task = _task(loaded, trigger)
    if not (task.has_state(TaskState.READY) and task.task_spec.manual):
        raise NotReplayable("the task is no longer ready: resolve the incident")
    submitted = {**((trigger.get("data") or {}).get("data") or {}), **copy.deepcopy(v)}
    runtime.validate_submission(loaded.definition, task, submitted)
    actor = trigger.get("actor")

    def action(_workflow: Any) -> None:
        task.data.update(copy.deepcopy(submitted))
        task.run()

    return Replay(
        action=action,
        actor=actor,
        event="task_completed",
        event_data={"data": submitted},
        event_task=task,
        completion=(task.id, actor, submitted),
    )


def _delivery(
    session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]
) -> Replay:
    event = trigger["event"]
    data = trigger.get("data") or {}
    name, payload = data.get("name"), {**(data.get("variables") or {}), **v}
    if event == "message_received":
        action = service.message_action(str(name), payload)
    else:

        def action(workflow: Any) -> None:
            events.catch_signal(workflow, str(name), payload)

    event_data = {"name": name, "variables": payload}
    replay = Replay(action=action, actor=trigger.get("actor"), event=event, event_data=event_data)
    # In the data too: a message's payload does not replace a variable the instance has.
    _with_data(v, action, replay)
    return replay


def _worker_completion(
    session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]
) -> Replay:
    task = _task(loaded, trigger)
    if not is_ready_external(task):
        raise NotReplayable("the external task is no longer ready: resolve the incident")
    data = dict(trigger.get("data") or {})
    data["variables"] = {**(data.get("variables") or {}), **v}
    return Replay(
        action=external.complete_action(task, data["variables"]),
        actor=trigger.get("actor"),
        event="external_task_completed",
        event_data=data,
        event_task=task,
    )


def _bpmn_error(
    session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]
) -> Replay:
    task = _task(loaded, trigger)
    data = trigger.get("data") or {}
    code = str(data.get("error_code"))
    catcher = external.error_catcher(task, code) if is_ready_external(task) else None
    if catcher is None:
        raise NotReplayable("the BPMN error's catcher no longer waits: resolve the incident")
    payload = {**(data.get("variables") or {}), **v}
    return Replay(action=external.throw_action(catcher, code, payload), actor=trigger.get("actor"))


def _variables(
    session: Session, loaded: Loaded, trigger: dict[str, Any], v: dict[str, Any]
) -> Replay:
    data = trigger.get("data") or {}
    changes = {**(data.get("variables") or {}), **v}
    deletions = [str(n) for n in data.get("deletions") or [] if n not in changes]
    replay = Replay(action=lambda wf: None, actor=trigger.get("actor"), event="variables_set")
    replay.event_data = {"variables": changes, "deletions": deletions}

    def action(workflow: Any) -> None:
        replay.touched.extend(edits.apply(workflow, changes, deletions))
        workflow.refresh_timers()

    replay.action = action
    return replay


def _task(loaded: Loaded, trigger: dict[str, Any]) -> Any:
    task_id = trigger.get("task_id")
    task = state.find_task(loaded.workflow, uuid.UUID(task_id)) if task_id else None
    if task is None:
        raise NotReplayable("the task of the failed step is gone: resolve the incident")
    return task


REPLAYS: dict[str, Callable[[Session, Loaded, dict[str, Any], dict[str, Any]], Replay]] = {
    failures.STARTED: _start,
    "timer_fired": _timer,
    "task_completed": _completion,
    "message_received": _delivery,
    "signal_received": _delivery,
    "external_task_completed": _worker_completion,
    "external_task_bpmn_error": _bpmn_error,
    "variables_set": _variables,
}


# --- jobs and external tasks ---------------------------------------------------------------


def _rearm(session: Session, job_id: uuid.UUID) -> None:
    """A timer job that fired again and still waits (a cycle's next repetition) is a fresh
    waiting job; one the step finished is gone already (a Core statement: the ORM's copy may
    be of a deleted row)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status="waiting", retries=None, next_attempt_at=None, last_error=None)
    )


def _retry_external(
    engine: Engine,
    session: Session,
    incident: Incident,
    variables: dict[str, Any],
    actor: str | None,
) -> service.Outcome:
    """An external task out of retries gets one back (a worker fetches it again), with
    `variables` in its data first; its incident is resolved as `retried`."""
    assert incident.external_task_id is not None
    row = session.get(ExternalTask, incident.external_task_id)
    if row is None:
        raise NotReplayable("the external task is gone: resolve the incident")
    if variables:
        loaded = runtime.load(engine, session, incident.instance_id)
        task = state.find_task(loaded.workflow, row.id)
        edits.apply(loaded.workflow, variables, ())
        data = {"variables": variables, "stored": True, "incident_id": str(incident.id)}
        edits.save_edit(engine, session, loaded, actor=actor, event="variables_set", data=data)
        if task is not None:
            row.variables = json_safe(task.data)
    row.incident_id = incident.id  # the incident set_retries resolves
    external_tasks.set_retries(
        session, task_id=row.id, retries=1, actor=actor, lock_row=not engine.db.is_sqlite
    )
    return service.Outcome(incident.instance_id)


def timer_trigger(job: Job, actor: str | None) -> dict[str, Any]:
    """The trigger a job incident keeps: the timer fires (again)."""
    data = {"job_id": str(job.id), "element_id": job.element_id, "due_at": job.due_at.isoformat()}
    return {"event": "timer_fired", "data": data, "task_id": None, "actor": actor}
