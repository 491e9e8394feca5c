"""Suspension and activation (挂起 / 激活), one use case each: `fn(session, *, actor, …)` run by
a route in one transaction. Each checks access inside it (`access`: 404 unseen, 403 seen but not
controlled), acts through `runtime.suspension`, writes the audit record with the reason and
answers the schema the route returns."""

import uuid

from sqlalchemy.orm import Session

from app.engine.api import access
from app.engine.persist.models import ProcessDefinition
from app.engine.runtime import details, names, suspension
from app.engine.schemas import (
    DefinitionSuspension,
    DefinitionSuspensionOut,
    InstanceDetail,
    Suspension,
)
from app.identity import audit
from app.identity.principal import Principal
from app.kit.errors import NotFound


def suspend_instance(
    s: Session, *, actor: Principal, instance_id: uuid.UUID, body: Suspension
) -> InstanceDetail:
    """Suspend a running instance the caller controls: its tokens stay where they are."""
    row = access.instance_to_control(s, actor, instance_id, "instances.modify")
    suspension.suspend_instance(s, row, actor=actor.sub, reason=body.reason)
    return _answer(s, actor, "instance.suspend", instance_id, row.unit_code, body)


def activate_instance(
    s: Session, *, actor: Principal, instance_id: uuid.UUID, body: Suspension
) -> InstanceDetail:
    """Activate a suspended instance the caller controls: it runs again."""
    row = access.instance_to_control(s, actor, instance_id, "instances.modify")
    suspension.activate_instance(s, row, actor=actor.sub, reason=body.reason)
    return _answer(s, actor, "instance.activate", instance_id, row.unit_code, body)


def _answer(
    s: Session,
    actor: Principal,
    action: str,
    instance_id: uuid.UUID,
    unit_code: str | None,
    body: Suspension,
) -> InstanceDetail:
    detail = details.instance_detail(s, instance_id)
    audit.record(
        s,
        actor,
        action,
        object_type="process_instance",
        object_id=str(instance_id),
        instance_id=str(instance_id),
        unit_code=unit_code,
        data={"reason": body.reason},
    )
    return detail


def suspend_definition(
    s: Session, *, actor: Principal, definition_id: uuid.UUID, body: DefinitionSuspension
) -> DefinitionSuspensionOut:
    """Suspend a definition version (new starts refused) and, when asked, its running
    instances that the caller controls."""
    definition = _definition(s, definition_id)
    count = suspension.suspend_definition(
        s,
        definition,
        actor=actor.sub,
        unit_code=actor.unit,
        reason=body.reason,
        include_instances=body.include_instances,
        controlled=access.controlled_instance_ids(s, actor),
    )
    return _definition_answer(s, actor, "definition.suspend", definition, body, count)


def activate_definition(
    s: Session, *, actor: Principal, definition_id: uuid.UUID, body: DefinitionSuspension
) -> DefinitionSuspensionOut:
    """Activate a definition version and, when asked, its suspended instances that the caller
    controls."""
    definition = _definition(s, definition_id)
    count = suspension.activate_definition(
        s,
        definition,
        actor=actor.sub,
        unit_code=actor.unit,
        reason=body.reason,
        include_instances=body.include_instances,
        controlled=access.controlled_instance_ids(s, actor),
    )
    return _definition_answer(s, actor, "definition.activate", definition, body, count)


def _definition(s: Session, definition_id: uuid.UUID) -> ProcessDefinition:
    """The version (404), row-locked on PostgreSQL so that two acts on it take turns."""
    lock = s.get_bind().dialect.name == "postgresql"
    definition = s.get(ProcessDefinition, definition_id, with_for_update=lock)
    if definition is None:
        raise NotFound(f"process definition {definition_id} not found")
    return definition


def _definition_answer(
    s: Session,
    actor: Principal,
    action: str,
    definition: ProcessDefinition,
    body: DefinitionSuspension,
    count: int,
) -> DefinitionSuspensionOut:
    out = DefinitionSuspensionOut(
        **names.definition_out(s, definition).model_dump(), instances=count
    )
    audit.record(
        s,
        actor,
        action,
        object_type="process_definition",
        object_id=str(definition.id),
        data={
            "key": definition.key,
            "version": definition.version,
            "reason": body.reason,
            "include_instances": body.include_instances,
            "instances": count,
        },
    )
    return out
