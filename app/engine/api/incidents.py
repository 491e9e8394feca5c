"""Routes: incidents (故障) listed across instances, retried after a fix or resolved with a note;
timer jobs given retries or a new due date.

Routes validate, take their dependencies, call one use case (`incident_use_cases.py`) or read
and return a schema."""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query

from app.deps import SessionDep
from app.engine.api import incident_use_cases, queries
from app.engine.api.deps import EngineDep, run, run_step_noting
from app.engine.persist.models import Incident
from app.engine.schemas import (
    IncidentDetail,
    InstanceDetail,
    JobOut,
    ResolveIncident,
    RetryIncident,
    SetJobDueDate,
    SetJobRetries,
)
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Instant, Limit, Offset, Text
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1", responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("incidents.read"))]
Resolver = Annotated[Principal, Depends(permission("incidents.resolve"))]
JobOperator = Annotated[Principal, Depends(permission("jobs.execute"))]


@router.get("/incidents", response_model=Page[IncidentDetail], tags=["incidents"])
def list_incidents(
    s: SessionDep,
    principal: Reader,
    process_key: Text | None = None,
    element_id: Text | None = None,
    unit: Annotated[
        Text | None, Query(description="the instance's owner or a unit it involves")
    ] = None,
    kind: Text | None = None,
    state: Literal["open", "resolved"] | None = None,
    since: Instant | None = None,
    process_instance_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[IncidentDetail]:
    """Incidents of the instances you see, newest first: element, cause, kind, time, instance,
    process version, unit, job or external task, attempts, resolution."""
    query = queries.filtered_incidents(
        s,
        principal,
        process_key=process_key,
        element_id=element_id,
        unit=unit,
        kind=kind,
        state=state,
        since=since,
        instance_id=process_instance_id,
    ).order_by(Incident.created_at.desc())
    return page(s, query, Incident.id.desc(), IncidentDetail, limit, offset, cursor)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, tags=["incidents"])
def get_incident(incident_id: uuid.UUID, s: SessionDep, principal: Reader) -> IncidentDetail:
    """One incident of an instance you see (404 otherwise)."""
    return IncidentDetail.model_validate(queries.readable_incident(s, principal, incident_id))


@router.post("/incidents/{incident_id}/retry", response_model=InstanceDetail, tags=["incidents"])
def retry_incident(
    incident_id: uuid.UUID, body: RetryIncident, engine: EngineDep, principal: Resolver
) -> InstanceDetail:
    """Run the failed step again after a fix, `variables` merged into what it ran with (a
    start, a completion's submission, a message's payload; else the instance's data); an
    external task gets one retry back. Success: the incident is resolved (`retried`) and the
    instance detail answered; a new failure: 422 `process_error` naming the element, the
    incident kept open with the new cause and one more attempt."""
    return run_step_noting(
        engine,
        incident_use_cases.retry_incident,
        incident_use_cases.note_refused_retry,
        engine=engine,
        actor=principal,
        incident_id=incident_id,
        body=body,
    )


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentDetail, tags=["incidents"])
def resolve_incident(
    incident_id: uuid.UUID, body: ResolveIncident, engine: EngineDep, principal: Resolver
) -> IncidentDetail:
    """Close an incident without running anything, with a `note`: the instance runs again on
    the state from before the failed step when no other incident is open; a failed job stays
    failed (fire it, or give it retries)."""
    return run(
        engine,
        incident_use_cases.resolve_incident,
        engine=engine,
        actor=principal,
        incident_id=incident_id,
        body=body,
    )


@router.put("/jobs/{job_id}/retries", response_model=JobOut, tags=["jobs"])
def set_job_retries(
    job_id: uuid.UUID, body: SetJobRetries, engine: EngineDep, principal: JobOperator
) -> JobOut:
    """Set the attempts a job has left: > 0 on a failed job makes it wait again (its incident
    resolved as `retried`); 0 on a waiting job fails it with an incident."""
    return run(
        engine,
        incident_use_cases.set_job_retries,
        engine=engine,
        actor=principal,
        job_id=job_id,
        body=body,
    )


@router.put("/jobs/{job_id}/due-date", response_model=JobOut, tags=["jobs"])
def set_job_due_date(
    job_id: uuid.UUID, body: SetJobDueDate, engine: EngineDep, principal: JobOperator
) -> JobOut:
    """Move a waiting timer to a new due time in the future (the engine's timer moves with
    the job: it fires at the new time, once)."""
    return run(
        engine,
        incident_use_cases.set_job_due_date,
        engine=engine,
        actor=principal,
        job_id=job_id,
        body=body,
    )
