"""Compensation (补偿), which SpiffWorkflow 3.2 does not run: an activity with a compensation
boundary event names its handler (an `isForCompensation` activity joined to the boundary by an
association); a compensation throw event (intermediate or end; `activityRef` for one activity)
runs the handlers of the completed activities of its own process or subprocess, the last
completed first, each once, then the flow goes on with what the handlers set.

Handlers run inside the throw event's step, as children of the throw event's task (so they appear
in the history as completed elements); only script tasks can run there, and deploy refuses
other handlers. Trees holding compensable activities are not pruned: the
completed activities must still be there when a throw event comes.
"""

import copy
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.util.task import TaskState


class _CompensationThrow:
    """A throw event that compensates its scope's completed activities (or `activity` only)."""

    activity: str | None = None  # activityRef: compensate only that activity

    def _run_hook(self, my_task: Any) -> Any:
        ran = []
        for done in to_compensate(my_task.workflow, self.activity):
            done._set_internal_data(compensated=True)
            # FUTURE, then READY by hand: a handler has no incoming flow, which SpiffWorkflow's
            # own readiness check refuses.
            handler = my_task._add_child(done.task_spec.compensation_handler, TaskState.FUTURE)
            handler.triggered = True  # a child outside the flow: SpiffWorkflow keeps it
            handler._set_state(TaskState.READY)
            handler.data = copy.deepcopy(my_task.data)
            handler.run()
            my_task.data.update(handler.data)
            ran.append(str(handler.id))
        my_task._set_internal_data(compensation_ran=ran)
        return super()._run_hook(my_task)  # type: ignore[misc]


class CompensationThrowEvent(_CompensationThrow, IntermediateThrowEvent):
    """An intermediate compensation throw event."""


class CompensationEndEvent(_CompensationThrow, EndEvent):
    """A compensation end event."""


def to_compensate(scope: Any, activity: str | None) -> list[Any]:
    """The completed, not yet compensated activities of `scope` that have a handler (only
    `activity`'s when given), the last completed first."""
    tasks = [
        t
        for t in scope.tasks.values()
        if t.has_state(TaskState.COMPLETED)
        and getattr(t.task_spec, "compensation_handler", None) is not None
        and not t._get_internal_data("compensated", False)
        and (activity is None or t.task_spec.bpmn_id == activity)
    ]
    return sorted(tasks, key=lambda t: t.last_state_change, reverse=True)


def handlers_run(task: Any) -> list[Any]:
    """The handler tasks a compensation throw event ran (none for any other task)."""
    ids = task._get_internal_data("compensation_ran", None) or []
    return [child for child in task.children if str(child.id) in ids]
