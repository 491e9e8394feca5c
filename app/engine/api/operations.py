"""Routes: messages from other systems, and the timer jobs operators watch and fire.

Routes validate, take their dependencies, call one use case (`use_cases.py`) or read and return
a schema."""

import uuid
from typing import Annotated, Literal

from fastapi import Body, Depends, Query

from app.deps import SessionDep
from app.engine.api import queries, use_cases
from app.engine.api.deps import EngineDep, raise_failure, run, run_step
from app.engine.persist.models import Job
from app.engine.schemas import (
    ExecuteJob,
    InstanceDetail,
    JobOut,
    MessageResult,
    SendMessage,
    SendSignal,
)
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Instant, Limit, Offset
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1", responses=ERRORS)


@router.post("/messages", response_model=MessageResult, tags=["messages"])
def send_message(
    body: SendMessage,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("messages.send"))],
) -> MessageResult:
    """Correlate a message with waiting instances you control — by business key
    (`correlation_key`), instance (`process_instance_id`), variables (`correlation_variables`,
    equality) or all of them (`all`) — or start new ones owned by your unit. 404 `no_receiver`
    when nobody waits; 409 `ambiguous_correlation` naming the instances when several match
    without `all`."""
    result, outcomes = run(
        engine, use_cases.send_message, engine=engine, actor=principal, body=body
    )
    for outcome in outcomes:
        raise_failure(outcome)
    return result


@router.post("/signals", response_model=MessageResult, tags=["messages"])
def send_signal(
    body: SendSignal,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("messages.send"))],
) -> MessageResult:
    """Broadcast a signal to every catcher waiting in instances you control, and start every
    process with a signal start of that name (owned by your unit). Reaching nobody answers 200
    with empty lists: a broadcast has no receiver."""
    result, outcomes = run(engine, use_cases.send_signal, engine=engine, actor=principal, body=body)
    for outcome in outcomes:
        raise_failure(outcome)
    return result


@router.get("/jobs", response_model=Page[JobOut], tags=["jobs"])
def list_jobs(
    s: SessionDep,
    principal: Annotated[Principal, Depends(permission("jobs.read"))],
    due_before: Instant | None = None,
    process_instance_id: uuid.UUID | None = None,
    status_: Annotated[Literal["waiting", "failed"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[JobOut]:
    """Waiting (and failed) timers of instances in your scope, earliest first."""
    query = queries.filtered_jobs(
        s, principal, due_before=due_before, instance_id=process_instance_id, status=status_
    )
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
    return run_step(
        engine, use_cases.execute_job, engine=engine, actor=principal, job_id=job_id, body=body
    )
