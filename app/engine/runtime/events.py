"""What a workflow waits for, kept in tables: timers as jobs, messages and signals as
subscriptions."""

import copy
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.persist import Writes
from app.engine.persist.models import ProcessInstance
from app.engine.persist.state import find_task
from app.kit.clock import clock


def waiting(workflow: Any, kind: type | tuple[type, ...]) -> list[Any]:
    """Waiting catch events (of the whole workflow, subprocesses too) of one definition kind."""
    return [
        t
        for t in workflow.event_manager.tasks.values()
        if isinstance(t.task_spec.event_definition, kind)
    ]


# --- timers --------------------------------------------------------------------------------


def fire_timer(task_id: uuid.UUID) -> Callable[[Any], None]:
    """A step action that makes the waiting timer `task_id` fire now (a gone timer: nothing)."""

    def action(workflow: Any) -> None:
        task = find_task(workflow, task_id)
        if task is None or not task.has_state(TaskState.WAITING):
            return
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            _make_cycle_due(task, clock.now())
        else:
            task._set_internal_data(event_fired=True)
        workflow.refresh_timers()

    return action


def _make_cycle_due(task: Any, now: datetime) -> None:
    """Fire a cycle's next repetition now; a repetition already due keeps its schedule."""
    value = task._get_internal_data("event_value")
    if not isinstance(value, dict) or value.get("cycles", 0) == 0:
        return
    if datetime.fromisoformat(value["next"]) >= now:
        value["next"] = (now - timedelta(microseconds=1)).isoformat()


def collapse_missed_cycles(workflow: Any, now: datetime) -> None:
    """A late cycle fires once, not once per missed repetition: skip to its last due slot.

    SpiffWorkflow fires one repetition per timer refresh, so a scheduler that was down for
    days would otherwise send every missed reminder in one burst.
    """
    for task in waiting(workflow, CycleTimerEventDefinition):
        value = task._get_internal_data("event_value")
        if not isinstance(value, dict) or value.get("cycles", 0) == 0:
            continue
        due = datetime.fromisoformat(value["next"])
        period = timedelta(seconds=value["duration"])
        if period > timedelta(0) and due + period <= now:
            value["next"] = (due + (now - due) // period * period).isoformat()


def timer_dues(workflow: Any) -> dict[uuid.UUID, datetime]:
    """Due time of every waiting timer that will still fire."""
    dues = {}
    for task in waiting(workflow, TimerEventDefinition):
        due = _timer_due(task)
        if due is not None:
            dues[task.id] = due
    return dues


def _timer_due(task: Any) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(value, dict):
        if value.get("cycles", 0) == 0:
            return None
        value = value["next"]
    due: datetime = TimerEventDefinition.get_datetime(str(value))
    return due


def sync_timers(
    writes: Writes,
    row: ProcessInstance,
    workflow: Any,
    before: dict[uuid.UUID, datetime],
    now: datetime,
) -> dict[uuid.UUID, datetime]:
    """One job per waiting timer: add new ones, move a cycle's, drop gone ones; the new dues."""
    dues = timer_dues(workflow)
    writes.gone_jobs.extend(set(before) - set(dues))
    for task_id, due in dues.items():
        if task_id not in before:
            writes.new_jobs.append(_job(row, find_task(workflow, task_id), due, now))
        elif due != before[task_id]:  # a cycle's next repetition: a fresh job, unlocked
            writes.moved_jobs.append({"timer_id": task_id, "due": due})
    return dues


def _job(row: ProcessInstance, task: Any, due: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "instance_id": row.id,
        "task_id": task.id,
        "element_id": task.task_spec.bpmn_id or task.task_spec.name,
        "kind": "timer",
        "due_at": due,
        "status": "waiting",
        "attempts": 0,
        "created_at": now,
    }


# --- conditions ----------------------------------------------------------------------------


def fire_conditions(workflow: Any, since: float) -> bool:
    """Evaluate the waiting conditional events after a step; whether any fired.

    The data of the tasks completed since `since` (in order) is the instance's data as the step
    changed it: waiting conditional events take it, as every task does on set_variables."""
    conditional = waiting(workflow, ConditionalEventDefinition)
    if not conditional:
        return False
    done = workflow.get_tasks(state=TaskState.COMPLETED, updated_ts=since)
    changed: dict[str, Any] = {}
    for task in sorted(done, key=lambda t: t.last_state_change):
        changed.update(task.data)
    fired = False
    for task in conditional:
        if changed:
            task.data.update(copy.deepcopy(changed))
        task.task_spec._update(task)
        fired = fired or not task.has_state(TaskState.WAITING)
    return fired


# --- messages and signals --------------------------------------------------------------------

# A signal's subscription shares the message table: its element id carries this prefix, which no
# BPMN element id (an XML NCName, without ":") can start with, so neither kind reaches the other.
SIGNAL_PREFIX = "signal:"
_SUBSCRIBED = (MessageEventDefinition, SignalEventDefinition)


def message_waits(workflow: Any) -> set[uuid.UUID]:
    """Ids of the tasks waiting for a message or a signal."""
    return {t.id for t in waiting(workflow, _SUBSCRIBED)}


def sync_messages(
    writes: Writes, row: ProcessInstance, workflow: Any, before: set[uuid.UUID]
) -> set[uuid.UUID]:
    """One subscription per waiting message event (keyed by the business key) or signal event
    (no key: a broadcast reaches it); the new set."""
    tasks = {t.id: t for t in waiting(workflow, _SUBSCRIBED)}
    writes.gone_subscriptions.extend(before - set(tasks))
    for task_id, task in tasks.items():
        if task_id not in before:
            writes.new_subscriptions.append(_subscription(row, task))
    return set(tasks)


def _subscription(row: ProcessInstance, task: Any) -> dict[str, Any]:
    definition = task.task_spec.event_definition
    element_id = task.task_spec.bpmn_id or task.task_spec.name
    signal = isinstance(definition, SignalEventDefinition)
    return {
        "id": uuid.uuid4(),
        "instance_id": row.id,
        "task_id": task.id,
        "element_id": SIGNAL_PREFIX + element_id if signal else element_id,
        "message_name": definition.name,
        "correlation_key": None if signal else row.business_key,
    }


def thrown_signals(completed: list[Any]) -> list[str]:
    """Names of the signals thrown by the tasks a step completed, in order."""
    thrown = []
    for task in completed:
        spec = task.task_spec
        if isinstance(spec, ThrowingEvent) and isinstance(
            spec.event_definition, SignalEventDefinition
        ):
            thrown.append(spec.event_definition.name)
    return thrown


def catch_signal(workflow: Any, name: str, variables: dict[str, Any] | None) -> int:
    """Deliver signal `name` to every catcher waiting in `workflow`; how many caught it.

    `variables` (a broadcast's) go into each catcher's data, as a message's do."""
    catchers = [
        t
        for t in waiting(workflow, SignalEventDefinition)
        if t.task_spec.event_definition.name == name
    ]
    if not catchers:
        return 0
    for task in catchers:
        if variables:
            task.data.update(copy.deepcopy(variables))
    workflow.catch(BpmnEvent(catchers[0].task_spec.event_definition))
    return len(catchers)


def signal_starts(spec: Any) -> set[str]:
    """Names of the signals that start the process (its top-level signal start events)."""
    return {
        start.event_definition.name
        for start in spec.start.outputs
        if isinstance(getattr(start, "event_definition", None), SignalEventDefinition)
    }


def conditional_starts(spec: Any) -> list[tuple[str, str]]:
    """(element id, condition) of the process's top-level conditional start events."""
    return [
        (start.bpmn_id, start.event_definition.expression)
        for start in spec.start.outputs
        if isinstance(getattr(start, "event_definition", None), ConditionalEventDefinition)
    ]
