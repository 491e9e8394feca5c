"""Routes: messages from other systems, and the timer jobs operators watch and fire."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

from app.engine.api import access, queries
from app.engine.api.deps import EngineDep, raise_failure, stepped
from app.engine.persist.models import Job
from app.engine.runtime import service
from app.engine.schemas import ExecuteJob, InstanceDetail, JobOut, MessageResult, SendMessage
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Instant, Limit, Offset
from app.kit.errors import NotFound
from app.kit.paging import page
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.post("/messages", response_model=MessageResult, tags=["messages"])
def send_message(
    body: SendMessage,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("messages.send"))],
) -> MessageResult:
    """Correlate a message with waiting instances you control (by business key), or start
    new ones owned by your unit."""

    def work(s: Session) -> tuple[MessageResult, list[service.Outcome]]:
        result, outcomes = service.send_message(
            engine,
            s,
            name=body.name,
            correlation_key=body.correlation_key,
            variables=body.variables,
            actor=principal.sub,
            visible_instances=access.controlled_instance_ids(s, principal),
            unit_code=principal.unit,
        )
        audit.record(
            s,
            principal,
            "message.send",
            object_type="message",
            object_id=body.name,
            data={
                **body.model_dump(),
                "delivered": [str(i) for i in result.delivered],
                "started": [str(i) for i in result.started],
            },
        )
        return result, outcomes

    result, outcomes = engine.db.transaction(work)
    for outcome in outcomes:
        raise_failure(outcome)
    return result


@router.get("/jobs", response_model=Page[JobOut], tags=["jobs"])
def list_jobs(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("jobs.read"))],
    due_before: Instant | None = None,
    process_instance_id: uuid.UUID | None = None,
    status_: Annotated[Literal["waiting", "failed"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[JobOut]:
    """Waiting (and failed) timers of instances in your scope, earliest first."""
    with engine.db.session() as s:
        query = queries.readable_jobs(s, principal)
        if due_before:
            query = query.where(Job.due_at < due_before)
        if process_instance_id:
            query = query.where(Job.instance_id == process_instance_id)
        if status_:
            query = query.where(Job.status == status_)
        return page(s, query, Job.due_at, JobOut, limit, offset)


@router.post("/jobs/{job_id}/execute", response_model=InstanceDetail, tags=["jobs"])
def execute_job(
    job_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("jobs.execute"))],
    body: Annotated[ExecuteJob | None, Body()] = None,
) -> InstanceDetail:
    """Fire a timer now (operators and tests): admins, and the office controlling its instance.
    Before its due time, supervision's urging timers answer 409 `notice_not_due` unless the body
    says `{"early": true, "reason": "…"}`."""

    def work(s: Session) -> tuple[service.Outcome, InstanceDetail | None]:
        access.job_to_execute(s, principal, job_id)
        reason = body.reason if body is not None else None
        outcome = service.execute_job(
            engine, s, job_id=job_id, actor=principal.sub, early_reason=reason
        )
        if outcome is None:
            raise NotFound(f"job {job_id} not found")
        detail = None if outcome.failure else service.step_detail(s, outcome)
        audit.record(
            s,
            principal,
            "job.execute",
            object_type="job",
            object_id=str(job_id),
            instance_id=str(outcome.instance_id),
        )
        return outcome, detail

    return stepped(engine, work)
