"""Routes: an instance's and a ready task's variables — read them, and (the office that
controls the instance) change them with a reason, audited.

Routes validate, take their dependencies, call one use case (`variable_use_cases.py`) or read
(`reads.py`) and return a schema."""

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query

from app.deps import SessionDep
from app.engine.api import access, reads, variable_use_cases
from app.engine.api.deps import EngineDep, run
from app.engine.persist.models import ProcessInstance, TaskRecord
from app.engine.schemas import (
    ChangeVariables,
    Reason,
    SetVariable,
    VariableName,
    VariablesChanged,
    VariablesOut,
)
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1", tags=["variables"], responses=ERRORS)
Modifier = Annotated[Principal, Depends(permission("instances.modify"))]
Name = Annotated[VariableName, Path(description="the variable's name")]


def readable_instance(
    instance_id: uuid.UUID,
    s: SessionDep,
    principal: Annotated[Principal, Depends(permission("instances.read"))],
) -> ProcessInstance:
    """The instance of the path, if the caller may see it; 404 otherwise."""
    return access.instance(s, principal, instance_id)


def readable_task(
    task_id: uuid.UUID,
    s: SessionDep,
    principal: Annotated[Principal, Depends(permission("tasks.read"))],
) -> TaskRecord:
    """The task of the path, if its unit is in the caller's scope; 404 otherwise."""
    return access.task(s, principal, task_id)


@router.get("/process-instances/{instance_id}/variables", response_model=VariablesOut)
def get_instance_variables(
    instance: Annotated[ProcessInstance, Depends(readable_instance)],
) -> VariablesOut:
    """The instance's variables with their JSON types."""
    return reads.instance_variables(instance)


@router.patch("/process-instances/{instance_id}/variables", response_model=VariablesChanged)
def change_instance_variables(
    instance_id: uuid.UUID, body: ChangeVariables, engine: EngineDep, principal: Modifier
) -> VariablesChanged:
    """Set (`modifications`) and delete (`deletions`) variables, with a `reason`: the office
    that controls the instance. A running instance takes them in a step (conditions and timers
    react); one in error keeps them for a retry of its incident; others 409. A value that
    breaks the schema a form gives its name is 422 naming `modifications/<name>`."""
    return run(
        engine,
        variable_use_cases.change_instance_variables,
        engine=engine,
        actor=principal,
        instance_id=instance_id,
        body=body,
    )


@router.put("/process-instances/{instance_id}/variables/{name}", response_model=VariablesChanged)
def set_instance_variable(
    instance_id: uuid.UUID, name: Name, body: SetVariable, engine: EngineDep, principal: Modifier
) -> VariablesChanged:
    """Set one variable (as PATCH with one modification)."""
    change = ChangeVariables(modifications={name: body.value}, reason=body.reason)
    return change_instance_variables(instance_id, change, engine, principal)


@router.delete("/process-instances/{instance_id}/variables/{name}", response_model=VariablesChanged)
def delete_instance_variable(
    instance_id: uuid.UUID,
    name: Name,
    reason: Annotated[Reason, Query(description="why (audited)")],
    engine: EngineDep,
    principal: Modifier,
) -> VariablesChanged:
    """Delete one variable (as PATCH with one deletion)."""
    change = ChangeVariables(deletions=[name], reason=reason)
    return change_instance_variables(instance_id, change, engine, principal)


@router.get("/tasks/{task_id}/variables", response_model=VariablesOut)
def get_task_variables(
    task: Annotated[TaskRecord, Depends(readable_task)], engine: EngineDep, s: SessionDep
) -> VariablesOut:
    """A ready task's own data as the engine holds it, with JSON types (409 when not ready)."""
    return reads.task_variables(s, task, engine=engine)


@router.patch("/tasks/{task_id}/variables", response_model=VariablesChanged)
def change_task_variables(
    task_id: uuid.UUID, body: ChangeVariables, engine: EngineDep, principal: Modifier
) -> VariablesChanged:
    """Set and delete a ready task's own variables (only that task's data; validated against
    its form), with a `reason`: the office that controls the instance."""
    return run(
        engine,
        variable_use_cases.change_task_variables,
        engine=engine,
        actor=principal,
        task_id=task_id,
        body=body,
    )
