"""Routes: suspend and activate (挂起 / 激活) process instances and definition versions.

Routes validate, take their dependencies, call one use case (`suspension_use_cases.py`) and
return a schema. After an activation the timer loop is woken: timers that came due while the
instance was suspended fire now rather than at the loop's next round.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.engine.api import suspension_use_cases as use_cases
from app.engine.api.deps import EngineDep, run
from app.engine.schemas import (
    DefinitionSuspension,
    DefinitionSuspensionOut,
    InstanceDetail,
    Suspension,
)
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1", responses=ERRORS)
Modifier = Annotated[Principal, Depends(permission("instances.modify"))]
Suspender = Annotated[Principal, Depends(permission("definitions.suspend"))]


def _wake_timers(request: Request) -> None:
    """Due timers of activated instances fire at once (the loop also finds them by itself)."""
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.wake()


@router.post(
    "/process-instances/{instance_id}/suspend", response_model=InstanceDetail, tags=["instances"]
)
def suspend_instance(
    instance_id: uuid.UUID, body: Suspension, engine: EngineDep, principal: Modifier
) -> InstanceDetail:
    """Suspend a running instance you control: its tasks cannot be completed, claimed or
    re-assigned (409 `suspended`), its timers wait, messages, signals and workers pass it by.
    It may still be read and cancelled."""
    return run(
        engine, use_cases.suspend_instance, actor=principal, instance_id=instance_id, body=body
    )


@router.post(
    "/process-instances/{instance_id}/activate", response_model=InstanceDetail, tags=["instances"]
)
def activate_instance(
    instance_id: uuid.UUID,
    body: Suspension,
    engine: EngineDep,
    principal: Modifier,
    request: Request,
) -> InstanceDetail:
    """Activate a suspended instance you control; timers that came due meanwhile fire now."""
    detail = run(
        engine, use_cases.activate_instance, actor=principal, instance_id=instance_id, body=body
    )
    _wake_timers(request)
    return detail


@router.post(
    "/process-definitions/{definition_id}/suspend",
    response_model=DefinitionSuspensionOut,
    tags=["definitions"],
)
def suspend_definition(
    definition_id: uuid.UUID, body: DefinitionSuspension, engine: EngineDep, principal: Suspender
) -> DefinitionSuspensionOut:
    """Suspend a definition version: starting it (by key when it is the latest, or by version)
    answers 409 `definition_suspended`, message, signal and conditional starts skip it. With
    `include_instances`, its running instances that you control are suspended too."""
    return run(
        engine,
        use_cases.suspend_definition,
        actor=principal,
        definition_id=definition_id,
        body=body,
    )


@router.post(
    "/process-definitions/{definition_id}/activate",
    response_model=DefinitionSuspensionOut,
    tags=["definitions"],
)
def activate_definition(
    definition_id: uuid.UUID,
    body: DefinitionSuspension,
    engine: EngineDep,
    principal: Suspender,
    request: Request,
) -> DefinitionSuspensionOut:
    """Activate a definition version; with `include_instances`, its suspended instances that
    you control too."""
    out = run(
        engine,
        use_cases.activate_definition,
        actor=principal,
        definition_id=definition_id,
        body=body,
    )
    if out.instances:
        _wake_timers(request)
    return out
