"""The task projection: a ready human task of the engine as a row of `tasks`, for task lists."""

import uuid
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from app.engine.parser import parsing
from app.engine.parser.parsing import ElementMeta
from app.engine.persist.data import json_safe
from app.engine.runtime.advance import EngineFailure
from app.engine.script import expressions
from app.engine.specs import external
from app.engine.specs.timeutil import parse_due

# Columns of a task that is not yet claimed or closed: not in the row, NULL in the table.
OPEN_TASK_COLUMNS = {
    "assignee": None,
    "completed_at": None,
    "completed_by": None,
    "submitted": None,
}


def ready_human_tasks(workflow: Any) -> list[Any]:
    """The engine's ready user (manual) tasks that belong to a BPMN element (external tasks
    wait READY too, but for workers: app.engine.external)."""
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [t for t in tasks if t.task_spec.bpmn_id is not None and not external.is_external(t)]


def task_row(
    instance_id: uuid.UUID,
    process_key: str,
    owner_unit: str | None,
    task: Any,
    meta: ElementMeta | None,
    now: datetime,
) -> dict[str, Any]:
    """The `tasks` row of a task that has just become ready."""
    spec = task.task_spec
    data = json_safe(task.data)
    units = candidate_units(meta, data, spec.bpmn_id)
    return {
        "id": task.id,
        "instance_id": instance_id,
        "process_key": process_key,
        "element_id": spec.bpmn_id,
        "name": spec.bpmn_name,
        "element_type": type(spec).__name__,
        "lane": spec.lane,
        "state": "ready",
        "candidate_groups": list(meta.candidate_groups) if meta else [],
        "candidate_units": units,
        "unit_code": units[0] if units else owner_unit,
        "form": meta.form if meta else None,
        "documentation": spec.documentation,
        "input": data,
        "due_at": due_date(meta, data, now, spec.bpmn_id),
        "created_at": now,
    }


def candidate_units(meta: ElementMeta | None, data: dict[str, Any], element_id: str) -> list[str]:
    """The units a task may go to: the element's `candidateUnit` expression over the task data.

    A unit code, a list of them, or None (no unit: the instance's own). An expression that
    fails or gives anything else is an incident naming the element (EngineFailure), never a
    task routed to nobody.
    """
    if meta is None or not meta.candidate_unit:
        return []
    try:
        value = expressions.evaluate(meta.candidate_unit, data)
    except expressions.ExpressionRefused as exc:
        raise EngineFailure(f"candidateUnit refused: {exc.reason}", element_id) from exc
    except expressions.ExpressionError as exc:
        raise EngineFailure(f"candidateUnit failed: {exc}", element_id) from exc
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    message = f"candidateUnit gave {type(value).__name__}, not a unit code or a list of them"
    raise EngineFailure(message, element_id)


def due_date(
    meta: ElementMeta | None, data: dict[str, Any], now: datetime, element_id: str
) -> datetime | None:
    """The task's due time: the element's ISO date/duration, or an expression giving one.

    An expression that gives None means no due date. One that is refused, fails, or gives
    something that is not a date, a date-time or an ISO duration is an incident naming the
    element (EngineFailure), never a task silently without its deadline.
    """
    if meta is None or not meta.due:
        return None
    text: Any = meta.due
    if not parsing._is_iso(text):
        try:
            text = expressions.evaluate(text, data)
        except expressions.ExpressionRefused as exc:
            raise EngineFailure(f"dueDate refused: {exc.reason}", element_id) from exc
        except expressions.ExpressionError as exc:
            raise EngineFailure(f"dueDate failed: {exc}", element_id) from exc
        if text is None:
            return None
    due = parse_due(str(text), now)
    if due is None:
        message = f"dueDate gave {str(text)[:100]!r}, not a date, a date-time or an ISO duration"
        raise EngineFailure(message, element_id)
    return due
