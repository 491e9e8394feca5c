"""Engine use cases: deploy, start, complete, claim, cancel, message, jobs.

Services flush, never commit: the route's transaction commits once.
"""

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.clock import clock
from app.db import Conflict
from app.engine import caches, events, parsing, runtime, state
from app.engine.data import data_problems
from app.engine.models import (
    HistoryEvent,
    Incident,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime import Engine, EngineFailure, Loaded
from app.engine.schemas import (
    DefinitionOut,
    DeploymentOut,
    IncidentOut,
    InstanceDetail,
    InstanceOut,
    JobOut,
    MessageResult,
    TaskOut,
)
from app.errors import (
    InstanceNotRunning,
    InvalidBpmn,
    InvalidData,
    JobNotDue,
    NoMessageReceiver,
    NotFound,
    TaskNotClaimable,
    TaskNotReady,
)


@dataclass
class Outcome:
    """A committed result; `failure` is set when the process failed and an incident was raised."""

    instance_id: uuid.UUID
    failure: EngineFailure | None = None
    incident_id: uuid.UUID | None = None


# --- definitions -------------------------------------------------------------------------


def deploy(
    engine: Engine,
    session: Session,
    *,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    actor: str | None,
    max_bytes: int,
) -> DeploymentOut:
    """Deploy every executable process of a file: a new version, or the identical existing one."""
    info = parsing.read_document(xml, file_name=file_name, max_bytes=max_bytes)
    forms = {name: forms[name] for name in sorted(info.form_names & set(forms))}
    parsing.check_forms(forms, info.form_users)
    digest = parsing.content_hash(xml, forms)
    dependencies = _resolve_called(session, info)
    called = caches.pinned_closure(session, [d.id for d in dependencies.values()])
    documents = [(info.root, file_name)]
    documents += [(parsing.parse_stored(d.bpmn_xml), d.file_name) for d in called]
    bundle_forms = parsing.merge_forms(forms, [(d.key, d.forms) for d in called])
    results = []
    for key, _name in info.executable:
        bundle = parsing.build_bundle(key, documents, bundle_forms)
        _check_instantiable(bundle)
        results.append(
            _store_version(
                session,
                bundle,
                xml=xml,
                file_name=file_name,
                forms=forms,
                digest=digest,
                dependencies={k: str(d.id) for k, d in dependencies.items()},
                actor=actor,
            )
        )
    first, created = results[0]
    out = DeploymentOut(
        **DefinitionOut.model_validate(first).model_dump(),
        created=created,
        others=[DefinitionOut.model_validate(d) for d, _ in results[1:]],
    )
    return out


def _check_instantiable(bundle: parsing.Bundle) -> None:
    """Build (and drop) one workflow now, so that no start can fail on the diagram's shape."""
    try:
        state.new_workflow(bundle.spec, bundle.subprocess_specs)
    except Exception as exc:  # e.g. RecursionError on shapes the checks above do not know
        message = f"the process cannot be started: {type(exc).__name__}: {exc}"[:500]
        raise InvalidBpmn(
            "the diagram cannot be deployed", errors=[{"element_id": None, "message": message}]
        ) from exc


def _resolve_called(session: Session, info: parsing.DocumentInfo) -> dict[str, ProcessDefinition]:
    resolved, missing = {}, []
    for key in sorted(info.called):
        latest = _latest(session, key)
        if latest is None:
            missing.append(key)
        else:
            resolved[key] = latest
    if missing:
        errors = []
        for element in info.root.iter(f"{{{parsing.BPMN_NS}}}callActivity"):
            called = element.get("calledElement")
            if called in missing:
                message = f"called process '{called}' is not deployed"
                errors.append({"element_id": element.get("id"), "message": message})
        raise InvalidBpmn("the diagram calls processes that are not deployed", errors=errors)
    return resolved


def _store_version(
    session: Session,
    bundle: parsing.Bundle,
    *,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    digest: str,
    dependencies: dict[str, str],
    actor: str | None,
) -> tuple[ProcessDefinition, bool]:
    latest = _latest(session, bundle.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    definition = ProcessDefinition(
        id=uuid.uuid4(),
        key=bundle.key,
        version=(latest.version + 1) if latest else 1,
        name=bundle.name,
        file_name=file_name,
        content_hash=digest,
        bpmn_xml=xml.decode("utf-8"),
        forms=forms,
        dependencies=dependencies,
        message_starts=bundle.message_starts,
        deployed_at=clock.now(),
        deployed_by=actor,
    )
    session.add(definition)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent deploy took this version number
        raise Conflict(str(exc)) from exc
    return definition, True


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def list_definitions(
    session: Session, *, key: str | None, latest: bool, limit: int, offset: int
) -> tuple[list[DefinitionOut], int]:
    """Definitions, newest first; `latest` keeps only each key's highest version."""
    query = select(ProcessDefinition)
    if key:
        query = query.where(ProcessDefinition.key == key)
    if latest:
        newest = (
            select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.key)
            .subquery()
        )
        query = query.join(
            newest,
            (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return [DefinitionOut.model_validate(r) for r in rows], total


def get_definition(session: Session, definition_id: uuid.UUID) -> ProcessDefinition:
    """One definition, or 404."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"process definition {definition_id} not found")
    return definition


def deploy_directory(engine: Engine, directory: Path, *, max_bytes: int) -> list[DeploymentOut]:
    """Deploy every `.bpmn` of a directory (forms from `forms/`), callees before callers."""
    forms = {p.name: _read_json(p) for p in sorted((directory / "forms").glob("*.json"))}
    pending = sorted(directory.glob("*.bpmn"))
    results: list[DeploymentOut] = []
    while pending:
        failures: list[tuple[Path, InvalidBpmn]] = []
        for path in pending:
            try:
                results.append(_deploy_path(engine, path, forms, max_bytes))
            except InvalidBpmn as exc:
                failures.append((path, exc))
        if len(failures) == len(pending):  # no file deployed this round: none ever will
            path, error = failures[0]
            raise InvalidBpmn(f"{path.name}: {error.detail}", errors=error.errors)
        pending = [path for path, _ in failures]
    return results


def _deploy_path(
    engine: Engine, path: Path, forms: dict[str, Any], max_bytes: int
) -> DeploymentOut:
    def work(session: Session) -> DeploymentOut:
        return deploy(
            engine,
            session,
            xml=path.read_bytes(),
            file_name=path.name,
            forms=forms,
            actor="system",
            max_bytes=max_bytes,
        )

    return engine.db.transaction(work)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


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
) -> Outcome:
    """Create an instance of the latest (or given) version and run it until it waits."""
    _check_data(variables)
    definition = _definition_for(session, process_key, version)
    loaded = runtime.create(
        engine, session, definition, business_key=business_key, variables=variables, actor=actor
    )
    loaded.row.state = state.dump(loaded.workflow)
    return _step(engine, session, loaded, lambda wf: None, actor=actor)


def _definition_for(session: Session, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        definition = _latest(session, key)
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


def _step(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    action: runtime.Action,
    *,
    actor: str | None,
    event: str | None = None,
    event_data: dict[str, Any] | None = None,
    event_task: Any = None,
) -> Outcome:
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
        incident = raise_incident(
            session, loaded.row, "process_error", failure.message, element_id=failure.element_id
        )
        return Outcome(loaded.row.id, failure, incident.id)
    return Outcome(loaded.row.id)


def raise_incident(
    session: Session,
    row: ProcessInstance,
    kind: str,
    message: str,
    *,
    element_id: str | None = None,
    job_id: uuid.UUID | None = None,
) -> Incident:
    """Put the instance in `error` with an incident an operator can see (the state is kept)."""
    row.status = "error"
    row.updated_at = clock.now()
    incident = Incident(
        id=uuid.uuid4(),
        instance_id=row.id,
        kind=kind,
        element_id=element_id,
        job_id=job_id,
        message=message[:4000],
        created_at=clock.now(),
    )
    session.add(incident)
    runtime.record_history(
        session,
        row,
        "incident_raised",
        element_id=element_id,
        data={"kind": kind, "message": message[:4000]},
    )
    session.flush()
    return incident


def instance_detail(session: Session, instance_id: uuid.UUID) -> InstanceDetail:
    """An instance with its ready tasks, completed elements, incidents and waiting timers."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"process instance {instance_id} not found")
    ready = session.scalars(
        select(TaskRecord)
        .where(TaskRecord.instance_id == row.id, TaskRecord.state == "ready")
        .order_by(TaskRecord.created_at)
    )
    completed = session.scalars(
        select(HistoryEvent.element_id)
        .where(
            HistoryEvent.instance_id == row.id,
            HistoryEvent.event.in_(("element_completed", "task_completed")),
        )
        .order_by(HistoryEvent.id)
    )
    incidents = session.scalars(
        select(Incident).where(Incident.instance_id == row.id).order_by(Incident.created_at)
    )
    jobs = session.scalars(select(Job).where(Job.instance_id == row.id).order_by(Job.due_at))
    return InstanceDetail(
        **InstanceOut.model_validate(row).model_dump(),
        ready_tasks=[TaskOut.model_validate(t) for t in ready],
        completed_element_ids=list(dict.fromkeys(e for e in completed if e)),
        incidents=[IncidentOut.model_validate(i) for i in incidents],
        waiting_timers=[JobOut.model_validate(j) for j in jobs],
    )


def cancel(engine: Engine, session: Session, *, instance_id: uuid.UUID, actor: str | None) -> None:
    """Cancel a running (or failed) instance."""
    loaded = runtime.load(engine, session, instance_id)
    if loaded.row.status not in ("running", "error"):
        raise InstanceNotRunning(f"instance is {loaded.row.status}")
    runtime.cancel(engine, session, loaded, actor=actor)


# --- tasks -------------------------------------------------------------------------------


def get_task(session: Session, task_id: uuid.UUID) -> TaskRecord:
    """A task of the projection, or 404."""
    record = session.get(TaskRecord, task_id)
    if record is None:
        raise NotFound(f"task {task_id} not found")
    return record


def complete(
    engine: Engine,
    session: Session,
    *,
    task_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
) -> Outcome:
    """Complete a ready human task with submitted data, then run the process until it waits."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    if record.assignee is not None and record.assignee != actor:
        raise TaskNotClaimable(f"task is claimed by {record.assignee}")
    loaded = runtime.load(engine, session, record.instance_id)
    if loaded.row.status != "running":
        raise InstanceNotRunning(f"instance is {loaded.row.status}")
    task = state.find_task(loaded.workflow, task_id)
    if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise TaskNotReady("task is not ready in the engine")
    runtime.validate_submission(loaded.definition, task, variables)
    submitted = copy.deepcopy(variables)

    def action(_workflow: Any) -> None:
        task.data.update(copy.deepcopy(submitted))
        task.run()

    outcome = _step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="task_completed",
        event_data={"data": submitted},
        event_task=task,
    )
    if outcome.failure is None:
        record.completed_by = actor
        record.submitted = submitted
    return outcome


def claim(session: Session, *, task_id: uuid.UUID, actor: str) -> TaskRecord:
    """Take a ready task; 409 if someone else holds it."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
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
    return record


def assign(
    session: Session, *, task_id: uuid.UUID, assignee: str | None, actor: str | None
) -> TaskRecord:
    """Set or clear a ready task's assignee (unclaim is assign to nobody)."""
    record = get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    previous = record.assignee
    record.assignee = assignee
    event = "task_unclaimed" if assignee is None else "task_assigned"
    _task_history(session, record, event, actor, {"assignee": assignee, "previous": previous})
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
) -> tuple[MessageResult, list[Outcome]]:
    """Deliver a message to the waiting instances it correlates with, or start new ones."""
    _check_data(variables)
    # No key reaches only instances without a business key: never a broadcast by omission.
    key_matches = (
        MessageSubscription.correlation_key.is_(None)
        if correlation_key is None
        else MessageSubscription.correlation_key == correlation_key
    )
    query = select(MessageSubscription).where(MessageSubscription.message_name == name, key_matches)
    subscriptions = list(session.scalars(query.order_by(MessageSubscription.id)))
    outcomes = []
    delivered = []
    for instance_id in dict.fromkeys(s.instance_id for s in subscriptions):
        loaded = runtime.load(engine, session, instance_id)
        if loaded.row.status != "running":
            continue
        outcomes.append(_deliver(engine, session, loaded, name, variables, actor))
        delivered.append(instance_id)
    started = []
    for definition in _message_start_definitions(session, name):
        loaded = runtime.create(
            engine, session, definition, business_key=correlation_key, variables={}, actor=actor
        )
        loaded.row.state = state.dump(loaded.workflow)
        outcome = _step(engine, session, loaded, lambda wf: None, actor=actor)
        if outcome.failure is None:
            outcome = _deliver(engine, session, loaded, name, variables, actor)
        outcomes.append(outcome)
        started.append(loaded.row.id)
    if not delivered and not started:
        raise NoMessageReceiver(f"no instance is waiting for message '{name}'")
    return MessageResult(delivered=delivered, started=started), outcomes


def _deliver(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    name: str,
    variables: dict[str, Any],
    actor: str | None,
) -> Outcome:
    def action(workflow: Any) -> None:
        for task in list(workflow.event_manager.tasks.values()):
            definition = task.task_spec.event_definition
            if getattr(definition, "name", None) == name and hasattr(
                definition, "correlation_properties"
            ):
                task.data.update(copy.deepcopy(variables))
                workflow.catch(BpmnEvent(definition, payload=copy.deepcopy(variables)))
                return

    return _step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="message_received",
        event_data={"name": name, "variables": variables},
    )


def _message_start_definitions(session: Session, name: str) -> list[ProcessDefinition]:
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.scalars(
        select(ProcessDefinition).join(
            newest,
            (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v),
        )
    )
    return [d for d in rows if name in (d.message_starts or [])]


# --- jobs --------------------------------------------------------------------------------


def execute_job(
    engine: Engine,
    session: Session,
    *,
    job_id: uuid.UUID,
    actor: str | None,
    owner: str | None = None,
) -> Outcome | None:
    """Fire one timer now, once: the job row goes with the step; None if it is already gone."""
    job = session.get(Job, job_id, with_for_update=not engine.db.is_sqlite)
    if job is None:
        return None
    if owner is not None and job.locked_by != owner:
        return None  # our lease expired and another process took the job
    if job.status == "failed" and owner is not None:
        raise JobNotDue("job has failed; resolve its incident first")
    loaded = runtime.load(engine, session, job.instance_id)
    if loaded.row.status != "running":
        raise InstanceNotRunning(f"instance is {loaded.row.status}")
    outcome = _step(
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
        },
    )
    if outcome.failure is not None:
        job.status, job.last_error = "failed", outcome.failure.message
        job.locked_by = job.locked_until = None
        incident = session.get(Incident, outcome.incident_id)
        if incident is not None:
            incident.job_id = job.id
    return outcome
