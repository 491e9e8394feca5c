"""Operators' changes of variables (变量修改), one function each: `fn(session, *, actor, …)` run
by a route in one transaction (`deps.run`). Each checks that the caller controls the instance
(404 unseen, 403 seen but not theirs), validates the change (reserved keys, the forms' schemas
of the names it sets), changes through the runtime, tells listeners, writes the audit record
(before → after, with the reason) and answers with what changed and the variables after."""

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.engine.api import access
from app.engine.persist.data import json_safe
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import engine as runtime
from app.engine.runtime import variables
from app.engine.runtime.engine import Engine
from app.engine.schemas import ChangeVariables, VariablesChanged
from app.identity import audit
from app.identity.principal import Principal
from app.kit.errors import InstanceNotRunning, InvalidData


def change_instance_variables(
    s: Session, *, engine: Engine, actor: Principal, instance_id: uuid.UUID, body: ChangeVariables
) -> VariablesChanged:
    """Set and delete an instance's variables: a running instance is stepped (conditions and
    timers react), one in error is changed in its kept state (a retry then sees them)."""
    row = access.instance_to_control(s, actor, instance_id, "instances.modify")
    if row.status not in ("running", "error"):
        raise InstanceNotRunning(f"instance is {row.status}")
    before = dict(row.variables)
    forms = engine.specs.get(s, row.definition_id, row.bindings).forms.values()
    variables.check_changes(before, body.modifications, body.deletions, forms)
    note = {"reason": body.reason}
    if row.status == "running":
        _step(engine, s, actor, instance_id, body)
    else:
        loaded = runtime.load(engine, s, instance_id)
        variables.edit_variables(
            engine,
            s,
            loaded,
            modifications=body.modifications,
            deletions=body.deletions,
            actor=actor.sub,
            note=note,
        )
    changes = variables.changes_of(before, body.modifications, body.deletions)
    variables.tell(s, row, actor=actor.sub, reason=body.reason, changes=changes)
    _audit(
        s, actor, "instance.variables.update", "process_instance", instance_id, row, changes, body
    )
    return _answer(changes, row.variables)


def _step(
    engine: Engine, s: Session, actor: Principal, instance_id: uuid.UUID, body: ChangeVariables
) -> None:
    """A running instance takes the change in a step; one with which the process fails is
    refused whole (422 naming the element; no incident: the transaction rolls back)."""
    outcome = variables.set_variables(
        engine,
        s,
        instance_id=instance_id,
        variables=body.modifications,
        deletions=body.deletions,
        actor=actor.sub,
        note={"reason": body.reason},
    )
    if outcome.failure is not None:
        failure = outcome.failure
        raise InvalidData(
            f"with these variables the process fails at '{failure.element_id}': "
            "nothing was changed",
            errors=[{"element_id": failure.element_id, "message": failure.message}],
        )


def change_task_variables(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: ChangeVariables
) -> VariablesChanged:
    """Set and delete one ready task's own variables (validated against its form)."""
    record = access.task_to_modify(s, actor, task_id)
    loaded, task = variables.ready_task(engine, s, task_id)
    before: dict[str, Any] = json_safe(task.data)
    cached = loaded.definition
    forms = [cached.forms[record.form]] if record.form in cached.forms else []
    variables.check_changes(before, body.modifications, body.deletions, forms)
    after = variables.set_task_variables(
        engine,
        s,
        loaded=loaded,
        task=task,
        modifications=body.modifications,
        deletions=body.deletions,
        actor=actor.sub,
        note={"reason": body.reason},
    )
    changes = variables.changes_of(before, body.modifications, body.deletions)
    row = loaded.row
    variables.tell(s, row, actor=actor.sub, reason=body.reason, changes=changes, task_id=task_id)
    _audit(s, actor, "task.variables.update", "task", task_id, row, changes, body)
    return _answer(changes, after)


def _answer(changes: list[dict[str, Any]], after: dict[str, Any]) -> VariablesChanged:
    return VariablesChanged.model_validate(
        {"changes": changes, "variables": after, "types": variables.json_types(after)}
    )


def _audit(
    s: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: uuid.UUID,
    row: ProcessInstance,
    changes: list[dict[str, Any]],
    body: ChangeVariables,
) -> None:
    """Audit a change of the instance's variables (appended with the commit)."""
    audit.record(
        s,
        actor,
        action,
        object_type=object_type,
        object_id=str(object_id),
        instance_id=str(row.id),
        unit_code=row.unit_code,
        data={"reason": body.reason, "changes": changes, "instance_status": row.status},
    )
