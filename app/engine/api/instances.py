"""Routes: start, read and cancel process instances, within the caller's scope.

Routes validate, take their dependencies, call one use case (`use_cases.py`) or read and return
a schema."""

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Response, status

from app.deps import SessionDep
from app.engine.api import access, queries, reads, use_cases
from app.engine.api.deps import EngineDep, model_response, run, run_step
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import details
from app.engine.schemas import HistoryOut, InstanceDetail, InstanceOut, StartInstance
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Cursor, Limit, Offset, Text
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/process-instances", tags=["instances"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("instances.read"))]


def readable_instance(instance_id: uuid.UUID, s: SessionDep, principal: Reader) -> ProcessInstance:
    """The instance of the path, if the caller may see it; 404 otherwise (unseen = absent)."""
    return access.instance(s, principal, instance_id)


ReadableInstance = Annotated[ProcessInstance, Depends(readable_instance)]


@router.post("", response_model=InstanceDetail, status_code=status.HTTP_201_CREATED)
def start_instance(
    body: StartInstance,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.start"))],
) -> Response:
    """Start an instance owned by your unit (or `unit` in your scope); it runs until it waits."""
    detail = run_step(engine, use_cases.start_instance, engine=engine, actor=principal, body=body)
    return model_response(detail, status.HTTP_201_CREATED)


@router.get("", response_model=Page[InstanceOut])
def list_instances(
    s: SessionDep,
    principal: Reader,
    process_key: Text | None = None,
    status_: Annotated[
        Literal["running", "suspended", "completed", "cancelled", "error"] | None,
        Query(alias="status"),
    ] = None,
    business_key: Text | None = None,
    unit: Text | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[InstanceOut]:
    """Instances in your scope, newest first, filtered by process, status, business key, unit."""
    query = queries.filtered_instances(
        s, principal, process_key=process_key, status=status_, business_key=business_key, unit=unit
    )
    return page(s, query, ProcessInstance.created_at.desc(), InstanceOut, limit, offset, cursor)


@router.get("/{instance_id}", response_model=InstanceDetail)
def get_instance(instance: ReadableInstance, s: SessionDep) -> InstanceDetail:
    """Status, variables, ready tasks, completed elements, incidents and waiting timers."""
    return details.instance_detail(s, instance.id)


@router.get("/{instance_id}/history", response_model=list[HistoryOut])
def get_history(instance: ReadableInstance, s: SessionDep) -> list[HistoryOut]:
    """Every recorded change of the instance, oldest first."""
    return reads.history(s, instance.id)


@router.post("/{instance_id}/cancel", response_model=InstanceDetail)
def cancel_instance(
    instance_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.cancel"))],
) -> InstanceDetail:
    """Cancel a running (or failed, or suspended) instance your office controls (its owner
    unit or below)."""
    return run(
        engine, use_cases.cancel_instance, engine=engine, actor=principal, instance_id=instance_id
    )
