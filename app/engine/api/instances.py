"""Routes: start, read and cancel process instances, within the caller's scope."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.api import access, queries
from app.engine.api.deps import EngineDep, model_response, raise_failure
from app.engine.persist.models import HistoryEvent, ProcessInstance
from app.engine.runtime import details, service
from app.engine.schemas import HistoryOut, InstanceDetail, InstanceOut, StartInstance
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.paging import page
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1/process-instances", tags=["instances"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("instances.read"))]


@router.post("", response_model=InstanceDetail, status_code=status.HTTP_201_CREATED)
def start_instance(
    body: StartInstance,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.start"))],
) -> Response:
    """Start an instance owned by your unit (or `unit` in your scope); it runs until it waits."""
    unit = body.unit or principal.unit

    def work(s: Session) -> tuple[service.Outcome, InstanceDetail | None]:
        if body.unit is not None:
            access.unit_in_scope(s, principal, body.unit, "unit")
        outcome = service.start(
            engine,
            s,
            process_key=body.process_key,
            version=body.version,
            business_key=body.business_key,
            variables=body.variables,
            actor=principal.sub,
            unit_code=unit,
        )
        detail = None if outcome.failure else service.step_detail(s, outcome)
        # Last: the audit chain's lock is then held only until the commit.
        audit.record(
            s,
            principal,
            "instance.start",
            object_type="process_instance",
            object_id=str(outcome.instance_id),
            instance_id=str(outcome.instance_id),
            unit_code=unit,
            data={
                "process_key": body.process_key,
                "version": body.version,
                "business_key": body.business_key,
                "variables": body.variables,
            },
        )
        return outcome, detail

    outcome, detail = engine.db.transaction(work)
    raise_failure(outcome)
    assert detail is not None
    return model_response(detail, status.HTTP_201_CREATED)


@router.get("", response_model=Page[InstanceOut])
def list_instances(
    engine: EngineDep,
    principal: Reader,
    process_key: Text | None = None,
    status_: Annotated[
        Literal["running", "completed", "cancelled", "error"] | None, Query(alias="status")
    ] = None,
    business_key: Text | None = None,
    unit: Text | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InstanceOut]:
    """Instances in your scope, newest first, filtered by process, status, business key, unit."""
    with engine.db.session() as s:
        query = queries.readable_instances(s, principal)
        if process_key:
            query = query.where(ProcessInstance.process_key == process_key)
        if status_:
            query = query.where(ProcessInstance.status == status_)
        if business_key:
            query = query.where(ProcessInstance.business_key == business_key)
        if unit:
            query = query.where(ProcessInstance.unit_code == unit)
        return page(s, query, ProcessInstance.created_at.desc(), InstanceOut, limit, offset)


@router.get("/{instance_id}", response_model=InstanceDetail)
def get_instance(instance_id: uuid.UUID, engine: EngineDep, principal: Reader) -> InstanceDetail:
    """Status, variables, ready tasks, completed elements, incidents and waiting timers."""
    with engine.db.session() as s:
        access.instance(s, principal, instance_id)
        return details.instance_detail(s, instance_id)


@router.get("/{instance_id}/history", response_model=list[HistoryOut])
def get_history(instance_id: uuid.UUID, engine: EngineDep, principal: Reader) -> list[HistoryOut]:
    """Every recorded change of the instance, oldest first."""
    with engine.db.session() as s:
        access.instance(s, principal, instance_id)
        rows = s.scalars(
            select(HistoryEvent)
            .where(HistoryEvent.instance_id == instance_id)
            .order_by(HistoryEvent.id)
        )
        return [HistoryOut.model_validate(r) for r in rows]


@router.post("/{instance_id}/cancel", response_model=InstanceDetail)
def cancel_instance(
    instance_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.cancel"))],
) -> InstanceDetail:
    """Cancel a running (or failed) instance your office controls (its owner unit or below)."""

    def work(s: Session) -> InstanceDetail:
        row = access.instance_to_control(s, principal, instance_id, "instances.cancel")
        service.cancel(engine, s, instance_id=instance_id, actor=principal.sub)
        detail = details.instance_detail(s, instance_id)
        audit.record(
            s,
            principal,
            "instance.cancel",
            object_type="process_instance",
            object_id=str(instance_id),
            instance_id=str(instance_id),
            unit_code=row.unit_code,
        )
        return detail

    return engine.db.transaction(work)
