"""Activity instances in the step (Camunda's historic activity instances, 活动实例): which
elements went live, which ended and how, which ran within the step — collected into the step's
`Writes` and sent with its other rows (app.engine.persist: one statement on PostgreSQL).

An element *waits* when the engine holds a task of it that is not finished: a human or external
task ready for someone, an intermediate catch event or receive task waiting (timer, message,
signal, condition), a subprocess or call activity under way. Such an element gets an `active`
row when it becomes live, closed (`completed` or `cancelled`) when it ends. Everything else the
step ran (gateways, scripts, start and end events, a boundary event that fired) gets a row
closed at once. Not rows of their own: a multi-instance or loop activity's body (its inner
instances each have one), a boundary event while it only waits beside its activity, an event
subprocess while it is only armed. Rows are keyed by the engine task's id, so that nothing is
read back from the database to close them.
"""

import uuid
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess, SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from app.engine.persist import Writes
from app.engine.persist.activity_instances import ACTIVE, CANCELLED, COMPLETED
from app.engine.persist.models import ProcessInstance
from app.engine.persist.state import find_task

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def live(workflow: Any) -> dict[uuid.UUID, Any]:
    """The engine tasks of the elements that wait now, by task id (subprocesses included)."""
    found = {}
    for wf in (workflow, *workflow.subprocesses.values()):
        if wf is not workflow and wf.completed:
            continue
        for task in wf.tasks.values():
            if task.state & _LIVE and _waits(task):
                found[task.id] = task
    return found


def _waits(task: Any) -> bool:
    spec = task.task_spec
    if spec.bpmn_id is None or isinstance(spec, LoopTask):
        return False
    if task.state == TaskState.READY:
        return bool(spec.manual)
    if task.state == TaskState.WAITING:
        return isinstance(spec, CatchingEvent) and not isinstance(spec, BoundaryEvent | StartEvent)
    if isinstance(spec, EventSubprocess):
        return not _armed(task)
    return isinstance(spec, SubWorkflowTask)


def _armed(task: Any) -> bool:
    """An event subprocess whose start event still waits (nothing has happened in it yet)."""
    subprocess = task.workflow.top_workflow.subprocesses.get(task.id)
    if subprocess is None:
        return True
    return any(
        isinstance(t.task_spec, StartEvent) and t.state == TaskState.WAITING
        for t in subprocess.tasks.values()
    )


def _recorded(task: Any) -> bool:
    """An element instance that ran within the step and gets a row of its own."""
    spec = task.task_spec
    return spec.bpmn_id is not None and not isinstance(spec, LoopTask)


def sync(
    writes: Writes,
    row: ProcessInstance,
    workflow: Any,
    *,
    before: set[uuid.UUID],
    ran: list[Any],
    created: list[dict[str, Any]],
    completion: tuple[uuid.UUID, str | None, dict[str, Any]] | None,
    now: datetime,
) -> set[uuid.UUID]:
    """Rows for what the step changed: elements that went live (`active`), elements live
    `before` that ended (closed: completed, or cancelled when the engine dropped or cancelled
    them), elements the step `ran` without waiting (closed at once). `created` are the human
    tasks the step made ready (their units); `completion` names the human task the step
    completed and who did. Returns the ids live now (the next step's `before`)."""
    now_live = live(workflow)
    for task_id in before - now_live.keys():
        task = find_task(workflow, task_id)
        done = task is not None and task.has_state(TaskState.COMPLETED)
        by = completion[1] if done and completion is not None and completion[0] == task_id else None
        writes.closed_activities.append(
            {
                "closed_task": task_id,
                "closed_at": now,
                "closed_state": COMPLETED if done else CANCELLED,
                "closed_actor": by,
            }
        )
    for task in ran:  # first: row ids then follow the order things happened in
        if task.id not in before and task.id not in now_live and _recorded(task):
            writes.new_activities.append(_row(row, task, now, row.unit_code, COMPLETED))
    units = {r["id"]: r["unit_code"] for r in created}
    for task_id, task in now_live.items():
        if task_id not in before:
            unit = units.get(task_id, row.unit_code)
            writes.new_activities.append(_row(row, task, now, unit, ACTIVE))
    return set(now_live)


def _row(
    row: ProcessInstance, task: Any, now: datetime, unit: str | None, state: str
) -> dict[str, Any]:
    """An `activity_instances` row (its id comes from the database); every row has the same
    keys in the same order (the step sends them as one JSON array on PostgreSQL)."""
    spec = task.task_spec
    closed = state != ACTIVE
    return {
        "instance_id": row.id,
        "definition_id": row.definition_id,
        "process_key": row.process_key,
        "version": row.version,
        "element_id": spec.bpmn_id,
        "element_type": type(spec).__name__,
        "element_name": spec.bpmn_name,
        "task_id": task.id,
        "started_at": now,
        "ended_at": now if closed else None,
        "duration_ms": 0 if closed else None,
        "state": state,
        "actor": None,
        "unit": unit,
    }
