"""Routes: an instance's live tree and its modification (流程实例修改), as Camunda 7's
`GET /process-instance/{id}/activity-instances` and `POST /process-instance/{id}/modification`.

Routes validate, take their dependencies, call one use case (`use_cases.py`) or read and return
a schema."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.deps import SessionDep
from app.engine.api import use_cases
from app.engine.api.deps import EngineDep, run
from app.engine.api.instances import ReadableInstance
from app.engine.runtime import activities
from app.engine.schemas import ActivityTreeOut, InstanceDetail, ModifyInstance
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1/process-instances", tags=["instances"], responses=ERRORS)


@router.get("/{instance_id}/activity-instances", response_model=ActivityTreeOut)
def activity_instances(
    instance: ReadableInstance, s: SessionDep, engine: EngineDep
) -> ActivityTreeOut:
    """Every unfinished element instance: its id (the engine task's), element, state, the
    subprocess or multi-instance activity it runs in, and what it waits for (a timer's due
    time, a message, a human task) — what a modification may cancel."""
    return activities.read_tree(engine, s, instance.id)


@router.post("/{instance_id}/modification", response_model=InstanceDetail)
def modify_instance(
    instance_id: uuid.UUID,
    body: ModifyInstance,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("instances.modify"))],
) -> InstanceDetail:
    """Cancel activity instances and start tokens before or after elements, in order, in one
    step; the engine then runs until it waits. A running or failed instance your office
    controls (a failed one runs again, its incidents resolved). 422 `invalid_modification` /
    409 `activity_not_live` name each instruction that cannot apply (nothing changed); 422
    `modification_failed` when the process fails after it (nothing changed)."""
    return run(
        engine,
        use_cases.modify_instance,
        engine=engine,
        actor=principal,
        instance_id=instance_id,
        body=body,
    )
