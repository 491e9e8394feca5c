"""External tasks at run time (外部任务): service tasks that other systems do.

Each step keeps the `external_tasks` table in step with the ready external tasks
(`sync`), in the step's transaction, as timers are kept in `jobs`. Workers fetch, lock and
complete them through `external_tasks.py` (its routes: `app.external`).
"""

import copy
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.engine.persist import Writes, history_row
from app.engine.persist.data import json_safe
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import ProcessInstance
from app.engine.runtime import notices
from app.engine.runtime.caches import CachedDefinition
from app.engine.runtime.notices import Notice
from app.engine.specs.external import ready_external_tasks


class Loaded(Protocol):
    """What `sync` reads of the step's loaded instance (`runtime.engine.Loaded`)."""

    row: ProcessInstance
    workflow: Any
    definition: CachedDefinition
    new: bool
    writes: Writes


# --- the table, in step with the engine ----------------------------------------------------


def sync(session: Session, loaded: Loaded, now: datetime) -> None:
    """Rows for the external tasks the step made ready, none for those it finished.

    Runs inside `runtime.step`, before the step's writes go out: new rows and their
    `external_task.created` events are flushed with them, in the same transaction.
    """
    if not loaded.definition.bundle.external:
        return
    row = loaded.row
    ready = {t.id: t for t in ready_external_tasks(loaded.workflow)}
    known: set[uuid.UUID] = set()
    if not loaded.new:
        query = select(ExternalTask.id).where(ExternalTask.instance_id == row.id)
        known = set(session.scalars(query))
    gone = known - set(ready)
    if gone:
        session.execute(delete(ExternalTask).where(ExternalTask.id.in_(gone)))
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = task.task_spec
        record = ExternalTask(
            id=task_id,
            instance_id=row.id,
            process_key=row.process_key,
            element_id=spec.bpmn_id,
            name=spec.bpmn_name,
            topic=spec.topic,
            priority=spec.priority,
            unit_code=row.unit_code,
            business_key=row.business_key,
            variables=json_safe(task.data),
            created_at=now,
        )
        session.add(record)
        loaded.writes.history.append(
            history_row(
                row.id,
                "external_task_created",
                element_id=spec.bpmn_id,
                element_type=type(spec).__name__,
                task_id=task_id,
                data={"topic": spec.topic},
            )
        )
        data = {
            "task_id": str(task_id),
            "instance_id": str(row.id),
            "process_key": row.process_key,
            "business_key": row.business_key,
            "element_id": spec.bpmn_id,
            "name": spec.bpmn_name,
            "topic": spec.topic,
        }
        notices.publish(session, Notice("external_task.created", instance=row, data=data))


def forget(session: Session, instance_id: uuid.UUID) -> None:
    """An ended (cancelled) instance has no external tasks left."""
    session.execute(delete(ExternalTask).where(ExternalTask.instance_id == instance_id))


# --- actions on the engine task --------------------------------------------------------------


def complete_action(task: Any, variables: dict[str, Any]) -> Callable[[Any], None]:
    """A step action: the worker's variables into the task, then the task completes."""

    def action(_workflow: Any) -> None:
        task.data.update(copy.deepcopy(variables))
        task.run()

    return action


def error_catcher(task: Any, code: str) -> Any:
    """The waiting error boundary event that catches `code` thrown by `task`, or None.

    The task's own boundary events first, then those of each enclosing subprocess or call
    activity, outwards; at each level an event naming the code wins over a catch-all one.
    """
    current = task
    while current is not None:
        parent = current.parent
        if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
            catchers = [
                sibling
                for sibling in parent.children
                if sibling is not current
                and sibling.has_state(TaskState.WAITING)
                and isinstance(
                    getattr(sibling.task_spec, "event_definition", None), ErrorEventDefinition
                )
                and sibling.task_spec.event_definition.code in (None, code)
            ]
            catchers.sort(key=lambda t: t.task_spec.event_definition.code is None)
            if catchers:
                return catchers[0]
        workflow = current.workflow
        parent_id = getattr(workflow, "parent_task_id", None)
        current = workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None


def throw_action(catcher: Any, code: str, variables: dict[str, Any]) -> Callable[[Any], None]:
    """A step action: the boundary event `catcher` catches BPMN error `code` with `variables`."""

    def action(_workflow: Any) -> None:
        # The variables reach the error path as process data (as Camunda sets them on the
        # execution); a catch event's own `variableName` gets the payload as well.
        catcher.data.update(copy.deepcopy(variables))
        definition = ErrorEventDefinition(code, code=code)
        event = BpmnEvent(definition, payload=copy.deepcopy(variables))
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)

    return action
