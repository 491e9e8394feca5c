"""An instance as a response shows it: status, variables, ready tasks, completed elements,
incidents and waiting timers."""

import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.engine import persist
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import names
from app.engine.runtime.engine import Loaded
from app.engine.runtime.projection import OPEN_TASK_COLUMNS
from app.engine.schemas import IncidentOut, InstanceDetail, JobOut, TaskOut
from app.kit.errors import NotFound


def instance_detail(session: Session, instance_id: uuid.UUID) -> InstanceDetail:
    """An instance with its ready tasks, completed elements, incidents and waiting timers."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(f"process instance {instance_id} not found")
    return _detail(session, row, _ready_tasks(session, row.id), incidents=True, jobs=None)


def after_step(session: Session, loaded: Loaded) -> InstanceDetail:
    """The instance as a successful step left it, from what the step knows.

    The database is read only for what the step cannot know: ready tasks it did not create
    (parallel branches, claims), incidents of an instance that has some (the save says so on
    PostgreSQL), and jobs when timers wait that the step did not set (jobs mirror the waiting
    timers: events.sync_timers).
    """
    row = loaded.row
    ready = known_ready_tasks(loaded)
    if ready is None:
        ready = _ready_tasks(session, row.id)
    incidents = loaded.has_incidents if loaded.has_incidents is not None else not loaded.started
    jobs = [] if not loaded.timers_before else loaded.jobs
    return _detail(session, row, ready, incidents=incidents, jobs=jobs)


def known_ready_tasks(loaded: Loaded) -> list[TaskOut] | None:
    """The instance's ready tasks as the step left them, when the step created every one of
    them (as a read orders them, not yet named); None when a read must find them."""
    created = [r for r in loaded.created if r["id"] in loaded.ready_before]
    if len(created) != len(loaded.ready_before):
        return None
    ready = [TaskOut.model_validate({**OPEN_TASK_COLUMNS, **r}) for r in created]
    ready.sort(key=lambda t: (t.created_at, t.id))  # as a read orders them
    return ready


def _ready_tasks(session: Session, instance_id: uuid.UUID) -> list[TaskOut]:
    rows = session.connection().execute(persist.READY_TASKS, {"row_id": instance_id})
    return [TaskOut.model_validate(r) for r in rows]


def _detail(
    session: Session,
    row: ProcessInstance,
    ready: list[TaskOut],
    *,
    incidents: bool,
    jobs: list[dict[str, Any]] | None,
) -> InstanceDetail:
    """`jobs`: the instance's jobs when known (as the step created them), None to read them."""
    connection = session.connection()
    params = {"row_id": row.id}
    # The definition's names are cached: no query once it has been named (the completion path).
    names.name_tasks(session, ready, {row.id: row.definition_id})
    return InstanceDetail(
        id=row.id,
        definition_id=row.definition_id,
        process_key=row.process_key,
        version=row.version,
        status=row.status,
        business_key=row.business_key,
        variables=row.variables,
        created_at=row.created_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
        created_by=row.created_by,
        unit_code=row.unit_code,
        ready_tasks=ready,
        completed_element_ids=list(row.completed_elements),
        incidents=[
            IncidentOut.model_validate(r)
            for r in (connection.execute(persist.INCIDENTS, params) if incidents else ())
        ],
        waiting_timers=_jobs(connection, params, jobs),
    )


_UNSET = {"locked_by": None, "locked_until": None, "last_error": None}


def _jobs(
    connection: Connection, params: dict[str, Any], known: list[dict[str, Any]] | None
) -> list[JobOut]:
    """The waiting timers as `persist.JOBS` orders them: by due time, then id."""
    if known is None:
        return [JobOut.model_validate(r) for r in connection.execute(persist.JOBS, params)]
    # As the database gives it back (app.db.UTCDateTime): in UTC.
    jobs = [
        JobOut.model_validate({**_UNSET, **job, "due_at": job["due_at"].astimezone(UTC)})
        for job in known
    ]
    return sorted(jobs, key=lambda job: (job.due_at, job.id))
