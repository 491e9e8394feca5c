"""An instance's live tree (活动实例树): every unfinished element instance, where it runs and what
it waits for — what an operator reads before modifying an instance (`modification.py`).

An element instance is an engine task of a BPMN element that is READY (a human task, an
external task, an engine task about to run), WAITING (a catch event, a join) or STARTED (a
subprocess, a multi-instance activity). A subprocess runs in a workflow of its own, held by the
subprocess's task: that task is the parent of what runs inside, as a multi-instance activity is
the parent of its instances.
"""

import uuid
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from app.engine.runtime import engine as runtime
from app.engine.runtime import events
from app.engine.runtime.engine import Engine
from app.engine.runtime.projection import ready_human_tasks
from app.engine.schemas import ActivityInstanceOut, ActivityTreeOut
from app.engine.specs import events as scopes
from app.engine.specs.external import is_external

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def read_tree(engine: Engine, session: Session, instance_id: uuid.UUID) -> ActivityTreeOut:
    """The live tree of an instance as stored (a read: the warm workflow is put back)."""
    loaded = runtime.load(engine, session, instance_id)
    row = loaded.row
    engine.workflows.put(row.id, row.lock_version, loaded.workflow)
    return ActivityTreeOut(
        instance_id=row.id,
        process_key=row.process_key,
        version=row.version,
        status=row.status,
        activities=describe(loaded.workflow),
    )


def describe(workflow: Any) -> list[ActivityInstanceOut]:
    """Every live element instance of `workflow` (its subprocesses too), parents first."""
    human = {t.id for t in ready_human_tasks(workflow)}
    dues = events.timer_dues(workflow)
    return [_describe(task, human, dues) for task in live_elements(workflow)]


def _describe(task: Any, human: set[uuid.UUID], dues: dict[uuid.UUID, Any]) -> ActivityInstanceOut:
    spec = task.task_spec
    definition = getattr(spec, "event_definition", None)
    waits = task.has_state(TaskState.WAITING)
    parent, attached = parent_of(task), attached_to(task)
    return ActivityInstanceOut(
        id=task.id,
        element_id=spec.bpmn_id,
        element_type=type(spec).__name__,
        name=spec.bpmn_name,
        state=TaskState.get_name(task.state),
        parent_id=parent.id if parent is not None else None,
        scope=task.workflow.spec.name,
        attached_to=attached.id if attached is not None else None,
        task_id=task.id if task.id in human else None,
        topic=spec.topic if is_external(task) else None,
        due_at=dues.get(task.id),
        message_name=definition.name
        if waits and isinstance(definition, MessageEventDefinition)
        else None,
        signal_name=definition.name
        if waits and isinstance(definition, SignalEventDefinition)
        else None,
    )


def live_elements(workflow: Any) -> list[Any]:
    """The live element instances of a workflow and its subprocesses, in tree order."""
    return [t for t in workflow.get_tasks(state=LIVE) if t.task_spec.bpmn_id is not None]


def holder(task: Any) -> Any:
    """The subprocess (or call activity) task whose workflow runs `task`; None at the top."""
    parent_id = task.workflow.parent_task_id
    return task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None


def parent_of(task: Any) -> Any:
    """The element instance `task` runs in: a live multi-instance or loop activity above it, or
    the subprocess holding its workflow; None at the top level."""
    parent = task.parent
    while parent is not None:
        if parent.task_spec.bpmn_id is not None and parent.has_state(LIVE):
            return parent
        parent = parent.parent
    return holder(task)


def attached_to(task: Any) -> Any:
    """The activity a boundary event's instance waits on (None for any other task)."""
    split = task.parent
    if not isinstance(task.task_spec, BoundaryEvent) or split is None:
        return None
    if not isinstance(split.task_spec, BoundaryEventSplit):
        return None
    return next((t for t in split.children if not isinstance(t.task_spec, BoundaryEvent)), None)


def boundary_events(task: Any) -> list[Any]:
    """The waiting boundary events of an activity's instance (they go when it is cancelled)."""
    split = task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return []
    return [
        t
        for t in split.children
        if isinstance(t.task_spec, BoundaryEvent) and t.has_state(TaskState.WAITING)
    ]


def call_above(task: Any) -> Any:
    """The call activity task whose called process runs `task` (at any depth), or None."""
    current = holder(task)
    while current is not None:
        if isinstance(current.task_spec, CallActivity):
            return current
        current = holder(current)
    return None


def is_event_subprocess(task: Any) -> bool:
    """Whether the task is an event subprocess's (事件子流程)."""
    return isinstance(task.task_spec, scopes.EventSubprocess)


def is_armed(task: Any) -> bool:
    """An event subprocess whose start event still waits: armed, not running."""
    return is_event_subprocess(task) and task in scopes.armed(task.workflow)


def is_embedded(spec: Any) -> bool:
    """A subprocess drawn inside its process (not a call activity): its elements are the
    process's own."""
    return isinstance(spec, SubWorkflowTask) and not isinstance(spec, CallActivity)


def has_live(workflow: Any) -> bool:
    """Whether anything of `workflow` itself still runs or waits (armed event subprocesses do
    not keep a scope alive; engine tasks such as a join or the end do)."""
    return any(
        task.workflow is workflow and not is_armed(task)
        for task in workflow.get_tasks(state=LIVE, skip_subprocesses=True)
    )
