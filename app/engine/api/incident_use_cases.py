"""Operators' repairs of failures (故障处理), one function each: `fn(session, *, actor, …)` run by
a route in one transaction (`deps.run` / `run_step`): retry or resolve an incident, give a job
retries, move a timer's due date. Each checks that the caller controls the instance (404
unseen, 403 seen but not theirs), acts through the runtime, writes the audit record and
answers with the schema the route returns."""

import uuid

from sqlalchemy.orm import Session

from app.engine.api import access
from app.engine.runtime import details, incidents, jobs
from app.engine.runtime.engine import Engine
from app.engine.runtime.service import Outcome
from app.engine.schemas import (
    IncidentDetail,
    InstanceDetail,
    JobOut,
    ResolveIncident,
    RetryIncident,
    SetJobDueDate,
    SetJobRetries,
)
from app.identity import audit
from app.identity.principal import Principal


def retry_incident(
    s: Session, *, engine: Engine, actor: Principal, incident_id: uuid.UUID, body: RetryIncident
) -> tuple[Outcome, InstanceDetail | None]:
    """Run the failed step again (with `variables`); the instance after it, or the failure
    (committed: the incident keeps the new cause and counts the attempt)."""
    incident = access.incident_to_control(s, actor, incident_id, "incidents.resolve")
    kind, owner = incident.kind, incident.instance.unit_code
    outcome = incidents.retry(
        engine, s, incident_id=incident_id, variables=body.variables, actor=actor.sub
    )
    detail = None if outcome.failure else details.instance_detail(s, outcome.instance_id)
    failure = outcome.failure.message if outcome.failure else None
    _audit_retry(s, actor, incident_id, outcome.instance_id, owner, kind, body, failure)
    return outcome, detail


def note_refused_retry(
    s: Session,
    *,
    engine: Engine,
    actor: Principal,
    incident_id: uuid.UUID,
    body: RetryIncident,
    refused: incidents.StepRefused,
) -> None:
    """A retry a domain refused (its transaction rolled back): the incident notes the cause
    and the attempt, in a transaction of its own, audited."""
    incident = access.incident_to_control(s, actor, incident_id, "incidents.resolve")
    kind, owner = incident.kind, incident.instance.unit_code
    incidents.note_refused(s, refused=refused, actor=actor.sub)
    _audit_retry(s, actor, incident_id, refused.instance_id, owner, kind, body, refused.message)


def _audit_retry(
    s: Session,
    actor: Principal,
    incident_id: uuid.UUID,
    instance_id: uuid.UUID,
    owner: str | None,
    kind: str,
    body: RetryIncident,
    failure: str | None,
) -> None:
    audit.record(
        s,
        actor,
        "incident.retry",
        object_type="incident",
        object_id=str(incident_id),
        instance_id=str(instance_id),
        unit_code=owner,
        data={
            "kind": kind,
            "reason": body.reason,
            "variables": body.variables,
            "failed": failure is not None,
            "failure": failure,
        },
    )


def resolve_incident(
    s: Session, *, engine: Engine, actor: Principal, incident_id: uuid.UUID, body: ResolveIncident
) -> IncidentDetail:
    """Close an incident without running anything, with a note."""
    incident = access.incident_to_control(s, actor, incident_id, "incidents.resolve")
    incidents.resolve(
        s, incident_id=incident_id, note=body.note, actor=actor.sub, lock=not engine.db.is_sqlite
    )
    answer = IncidentDetail.model_validate(incident)
    audit.record(
        s,
        actor,
        "incident.resolve",
        object_type="incident",
        object_id=str(incident_id),
        instance_id=str(incident.instance_id),
        unit_code=incident.instance.unit_code,
        data={"kind": incident.kind, "note": body.note, "instance_status": answer.instance_status},
    )
    return answer


def set_job_retries(
    s: Session, *, engine: Engine, actor: Principal, job_id: uuid.UUID, body: SetJobRetries
) -> JobOut:
    """Set the attempts a job has left (a failed job given some waits again)."""
    found = access.job_to_execute(s, actor, job_id)
    previous = {"retries": found.retries, "status": found.status}
    job = jobs.set_retries(
        s,
        job_id=job_id,
        retries=body.retries,
        reason=body.reason,
        actor=actor.sub,
        lock_row=not engine.db.is_sqlite,
    )
    answer = JobOut.model_validate(job)
    _audit_job(s, actor, "job.retries", answer, body.reason, previous=previous)
    return answer


def set_job_due_date(
    s: Session, *, engine: Engine, actor: Principal, job_id: uuid.UUID, body: SetJobDueDate
) -> JobOut:
    """Move a waiting timer to a new due time."""
    found = access.job_to_execute(s, actor, job_id)
    previous = {"due_at": found.due_at.isoformat()}
    job = jobs.set_due(
        engine, s, job_id=job_id, due_at=body.due_at, reason=body.reason, actor=actor.sub
    )
    answer = JobOut.model_validate(job)
    _audit_job(s, actor, "job.due_date", answer, body.reason, previous=previous)
    return answer


def _audit_job(
    s: Session, actor: Principal, action: str, job: JobOut, reason: str, *, previous: dict
) -> None:
    audit.record(
        s,
        actor,
        action,
        object_type="job",
        object_id=str(job.id),
        instance_id=str(job.instance_id),
        data={
            "element_id": job.element_id,
            "reason": reason,
            "before": previous,
            "after": {
                "retries": job.retries,
                "status": job.status,
                "due_at": job.due_at.isoformat(),
            },
        },
    )
