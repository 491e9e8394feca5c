"""Change the variables of an instance (Camunda's "set variables"), or of one ready task.

A running instance is stepped: every unfinished task sees the new values (and loses the deleted
ones), waiting timers whose expression names a changed variable re-read their time, ready
tasks' due dates follow. An instance in error is edited without running (`edits.save_edit`): a
retry of its incident then sees the new values; its timers keep the times they have. A task's
own variables change only that task.
"""

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from app.engine.persist import state
from app.engine.persist.data import data_problems, json_safe
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import edits, notices, service, suspension
from app.engine.runtime import engine as runtime
from app.engine.runtime.engine import Engine, Loaded
from app.engine.runtime.notices import Notice
from app.kit.errors import InvalidData, TaskNotReady
from app.kit.i18n import MESSAGES_KEY, schema_messages

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    ((list, tuple), "array"),
)


def json_types(variables: dict[str, Any]) -> dict[str, str]:
    """Each variable's JSON type (`null` for None)."""
    return {name: _json_type(value) for name, value in variables.items()}


def _json_type(value: Any) -> str:
    for kinds, name in JSON_TYPES:
        if isinstance(value, kinds):
            return name
    return "null"


def set_variables(
    engine: Engine,
    session: Session,
    *,
    instance_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str | None,
    deletions: Sequence[str] = (),
    note: dict[str, Any] | None = None,
) -> service.Outcome:
    """Update `variables` (and drop `deletions`) everywhere the running process will still
    read them, in one step; `note` joins the step's history event (e.g. the reason)."""
    problems = data_problems(variables)
    if problems:
        raise InvalidData("variables are invalid", errors=problems)
    loaded = runtime.load(engine, session, instance_id)
    suspension.require_running(loaded.row)  # a suspended instance's tokens may not move
    touched: list[Any] = []
    names = {*variables, *deletions}

    def action(workflow: Any) -> None:
        touched.extend(edits.apply(workflow, variables, deletions))
        for task in touched:
            if reads_any(task, names) and task.has_state(TaskState.WAITING):
                task.internal_data.pop("event_value", None)
                rearm(task)
        workflow.refresh_timers()

    event_data: dict[str, Any] = {"variables": variables}
    if deletions:
        event_data["deletions"] = list(deletions)
    outcome = service.run_step(
        engine,
        session,
        loaded,
        action,
        actor=actor,
        event="variables_set",
        event_data={**event_data, **(note or {})},
    )
    if outcome.failure is None:
        edits.refresh_ready(session, loaded, touched)
    return outcome


def reads_any(task: Any, names: set[str]) -> bool:
    """Whether a timer's expression names one of `names`: only such a timer re-reads its time
    (a literal duration such as `P30D` would restart from now, a moved due date be lost)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return False
    return not names.isdisjoint(NAME.findall(str(definition.expression)))


class TimerUnreadable(Exception):
    """A re-armed timer cannot read its time from the new variables (`task`: the step's
    failure names its element)."""

    def __init__(self, task: Any) -> None:
        super().__init__(f"timer '{task.task_spec.bpmn_id}' cannot read its time")
        self.task = task


def rearm(task: Any) -> None:
    """Evaluate a waiting timer's time again, now; a failure names the timer's element."""
    try:
        task.task_spec._update(task)
    except Exception as exc:  # whatever the expression raised: the step fails, naming the timer
        raise TimerUnreadable(task) from exc


def edit_variables(
    engine: Engine,
    session: Session,
    loaded: Loaded,
    *,
    modifications: dict[str, Any],
    deletions: Sequence[str],
    actor: str | None,
    note: dict[str, Any],
) -> None:
    """Change the kept state of an instance in error, running nothing (see the module)."""
    touched = edits.apply(loaded.workflow, modifications, deletions)
    data = {"variables": modifications, "deletions": list(deletions), "stored": True, **note}
    edits.save_edit(engine, session, loaded, actor=actor, event="variables_set", data=data)
    edits.refresh_ready(session, loaded, touched)


def ready_task(engine: Engine, session: Session, task_id: uuid.UUID) -> tuple[Loaded, Any]:
    """A ready human task's instance (running or in error) and its engine task; 409 else."""
    record = service.get_task(session, task_id)
    if record.state != "ready":
        raise TaskNotReady(f"task is {record.state}, not ready")
    loaded = runtime.load(engine, session, record.instance_id)
    if loaded.row.status not in ("running", "error"):
        suspension.require_running(loaded.row)  # 409 `suspended` or `instance_not_running`
    task = state.find_task(loaded.workflow, task_id)
    if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise TaskNotReady("task is not ready in the engine")
    return loaded, task


def task_data(engine: Engine, session: Session, task_id: uuid.UUID) -> dict[str, Any]:
    """A ready task's data as the engine holds it (a read: the warm workflow is kept)."""
    loaded, task = ready_task(engine, session, task_id)
    data: dict[str, Any] = json_safe(task.data)
    row = loaded.row
    engine.workflows.put(row.id, row.lock_version, loaded.workflow)
    return data


def set_task_variables(
    engine: Engine,
    session: Session,
    *,
    loaded: Loaded,
    task: Any,
    modifications: dict[str, Any],
    deletions: Sequence[str],
    actor: str | None,
    note: dict[str, Any],
) -> dict[str, Any]:
    """Change one ready task's data only (nothing runs: the task waits for a person); its data
    after."""
    edits.change(task.data, modifications, deletions)
    data = {"variables": modifications, "deletions": list(deletions), **note}
    edits.save_edit(
        engine, session, loaded, actor=actor, event="task_variables_set", data=data, task=task
    )
    edits.refresh_ready(session, loaded, [task])
    after: dict[str, Any] = json_safe(task.data)
    return after


def form_problems(
    forms: Iterable[dict[str, Any]], modifications: dict[str, Any], prefix: str
) -> list[dict[str, Any]]:
    """Values that break the schema of a form property of their name, by field
    (`<prefix>/<name>/…`); a name no form declares is free."""
    problems: list[dict[str, Any]] = []
    for name, value in modifications.items():
        for form in forms:
            declared = (form.get("properties") or {}).get(name)
            if not isinstance(declared, dict):
                continue
            schema: dict[str, Any] = {k: form[k] for k in ("$defs", "definitions") if k in form}
            schema.update(type="object", properties={name: declared})
            for error in Draft202012Validator(schema).iter_errors({name: value}):
                where = "/".join([prefix, *(str(p) for p in error.absolute_path)])
                seen = {(p["field"], p["message"]) for p in problems}
                if (where, error.message) not in seen:
                    problems.append(
                        {
                            "field": where,
                            "message": error.message,
                            MESSAGES_KEY: schema_messages(error, where, schema),
                        }
                    )
    return problems


def check_changes(
    current: dict[str, Any],
    modifications: dict[str, Any],
    deletions: Sequence[str],
    forms: Iterable[dict[str, Any]],
) -> None:
    """An operator's change, refused as a whole (422 naming each field) when it changes
    nothing, sets a reserved key, breaks a form's schema for that name, or deletes a variable
    that does not exist (or that it also sets)."""
    if not modifications and not deletions:
        message = "nothing to change: give modifications or deletions"
        raise InvalidData(message, errors=[{"field": "modifications", "message": message}])
    problems = [{**p, "field": f"modifications/{p['field']}"} for p in data_problems(modifications)]
    for index, name in enumerate(deletions):
        where = f"deletions/{index}"
        if name in modifications:
            problems.append({"field": where, "message": f"'{name}' is also in modifications"})
        elif name not in current:
            problems.append({"field": where, "message": f"no variable '{name}'"})
    problems += form_problems(forms, modifications, "modifications")
    if problems:
        raise InvalidData(
            "the change of variables is refused: nothing was changed", errors=problems
        )


def changes_of(
    before: dict[str, Any], modifications: dict[str, Any], deletions: Sequence[str]
) -> list[dict[str, Any]]:
    """Each variable a change touched: created, updated or deleted, before and after."""
    changes = [
        {
            "name": name,
            "change": "updated" if name in before else "created",
            "before": before.get(name),
            "after": value,
        }
        for name, value in modifications.items()
    ]
    changes += [
        {"name": name, "change": "deleted", "before": before.get(name), "after": None}
        for name in deletions
    ]
    found: list[dict[str, Any]] = json_safe(changes)
    return found


def tell(
    session: Session,
    row: ProcessInstance,
    *,
    actor: str | None,
    reason: str,
    changes: list[dict[str, Any]],
    task_id: uuid.UUID | None = None,
) -> None:
    """Tell listeners an operator changed variables (`instance.variables_changed`)."""
    data = {"reason": reason, "changes": changes, "task_id": str(task_id) if task_id else None}
    notices.publish(
        session, Notice("instance.variables_changed", instance=row, actor=actor, data=data)
    )
