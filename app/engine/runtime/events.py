"""What a workflow waits for, kept in tables: timers as jobs, messages as subscriptions."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from app.engine.persist import Writes
from app.engine.persist.models import ProcessInstance
from app.engine.persist.state import find_task
from app.kit.clock import clock


def waiting(workflow: Any, kind: type) -> list[Any]:
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


# --- messages ------------------------------------------------------------------------------


def message_waits(workflow: Any) -> set[uuid.UUID]:
    """Ids of the tasks waiting for a message."""
    return {t.id for t in waiting(workflow, MessageEventDefinition)}


def sync_messages(
    writes: Writes, row: ProcessInstance, workflow: Any, before: set[uuid.UUID]
) -> set[uuid.UUID]:
    """One subscription per waiting message event, keyed by the business key; the new set."""
    tasks = {t.id: t for t in waiting(workflow, MessageEventDefinition)}
    writes.gone_subscriptions.extend(before - set(tasks))
    for task_id, task in tasks.items():
        if task_id not in before:
            writes.new_subscriptions.append(
                {
                    "id": uuid.uuid4(),
                    "instance_id": row.id,
                    "task_id": task_id,
                    "element_id": task.task_spec.bpmn_id or task.task_spec.name,
                    "message_name": task.task_spec.event_definition.name,
                    "correlation_key": row.business_key,
                }
            )
    return set(tasks)
