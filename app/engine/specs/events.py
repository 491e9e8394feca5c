"""BPMN events SpiffWorkflow 3.2 leaves unfinished, as specs (事件): event-based gateways whose
catch events wait each on its own, and event subprocesses armed while their scope runs.

Event-based gateway (事件网关). SpiffWorkflow moves the definitions of the events after the
gateway into the gateway itself: one waiting task holding a "multiple" definition, which the
service's timer jobs and message subscriptions (made per waiting timer or message definition)
never see, and whose timers share one fire time. Here the gateway passes at once and each catch
event after it waits as any catch event does (its own job or subscription); the first that
happens withdraws the others.

Event subprocess (事件子流程). SpiffWorkflow starts those with a timer start at once, and creates
the others only when an event reaches the top workflow, which the service's message routing
never sees; it knows no `isInterrupting`, and a scope whose timer never fires never ends. Here
every event subprocess is armed when its scope starts (its start event waits like any catch
event: a job, a subscription, or a catcher of errors and escalations thrown in the scope). When
the start event fires, an interrupting one cancels the rest of its scope; a non-interrupting one
runs alongside and is armed again (except timers and conditions, which fire once per scope; a
timer cycle is armed again for its next repetition).
When the scope's own flow ends, event subprocesses still armed are withdrawn.
"""

from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import (
    IntermediateCatchEvent as BaseIntermediateCatchEvent,
)
from SpiffWorkflow.bpmn.specs.defaults import StartEvent as BaseStartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins import BpmnSpecMixin
from SpiffWorkflow.spiff.specs.defaults import EventSubprocess as BaseEventSubprocess
from SpiffWorkflow.spiff.specs.defaults import ReceiveTask as BaseReceiveTask
from SpiffWorkflow.util.task import TaskIterator, TaskState

# --- event-based gateway -------------------------------------------------------------------


class EventBasedGateway(BpmnSpecMixin):
    """An event-based gateway: passes at once; the catch events after it wait, first wins."""


class _GatewayBranch:
    """A catch event that may follow an event-based gateway: when it happens, its siblings
    (the gateway's other events) are withdrawn."""

    def _update_hook(self, my_task: Any) -> Any:
        if my_task.has_state(TaskState.CANCELLED):
            # SpiffWorkflow refreshes every timer it listed before the step; one withdrawn
            # meanwhile would otherwise start waiting again.
            return False
        return super()._update_hook(my_task)  # type: ignore[misc]

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)  # type: ignore[misc]
        parent = my_task.parent
        if parent is None or not isinstance(parent.task_spec, EventBasedGateway):
            return
        for sibling in parent.children:
            if sibling is not my_task and not sibling.has_state(TaskState.FINISHED_MASK):
                sibling.cancel()


class IntermediateCatchEvent(_GatewayBranch, BaseIntermediateCatchEvent):
    """An intermediate catch event (after an event-based gateway: the first to happen wins)."""


class ReceiveTask(_GatewayBranch, BaseReceiveTask):
    """A receive task (after an event-based gateway: the first to happen wins)."""


def gateway_problems(spec: Any) -> list[tuple[str, str]]:
    """(element id, reason) for each event-based gateway that leads to anything but events."""
    problems = []
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, EventBasedGateway):
            continue
        if len(task_spec.outputs) < 2:
            problems.append((task_spec.bpmn_id, "an event-based gateway needs two or more events"))
        for output in task_spec.outputs:
            if not isinstance(output, _GatewayBranch):
                problems.append(
                    (
                        task_spec.bpmn_id,
                        f"an event-based gateway must lead to intermediate catch events or "
                        f"receive tasks, not to '{output.bpmn_id or output.name}'",
                    )
                )
    return problems


# --- event subprocesses --------------------------------------------------------------------


class EventSubprocess(BaseEventSubprocess):
    """An event subprocess; `interrupting` is its start event's `isInterrupting`."""

    interrupting = True


class StartEvent(BaseStartEvent):
    """A start event; in an event subprocess, its firing interrupts or re-arms (see module).

    A timer cycle starting an event subprocess fires the start event once per repetition (a new
    event subprocess instance each time, as BPMN has it) instead of SpiffWorkflow's repeated
    children of one waiting task; a non-interrupting one is armed again with the cycle's
    remaining repetitions, an interrupting one fires once."""

    def _update_hook(self, my_task: Any) -> Any:
        if _starts_by_cycle(self, my_task) and not my_task._get_internal_data("event_fired"):
            _take_carried_cycle(my_task)
            if my_task._get_internal_data("event_value") == _SPENT:
                return _wait(my_task)
            if self.event_definition.cycle_complete(my_task):
                my_task._set_internal_data(event_fired=True)
            elif my_task._get_internal_data("event_value") is None:
                # No repetition left (a cron naming no later time): it never fires again.
                my_task._set_internal_data(event_fired=False, event_value=dict(_SPENT))
                return _wait(my_task)
        return super()._update_hook(my_task)

    def _run_hook(self, my_task: Any) -> Any:
        if _starts_by_cycle(self, my_task):
            # SpiffWorkflow predicts no flow after a cycle (it adds one per repetition).
            my_task._sync_children(self.outputs, TaskState.FUTURE)
            for child in my_task.children:
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        holder = _event_subprocess_task(my_task.workflow)
        if holder is not None:
            if holder.task_spec.interrupting:
                _interrupt(holder)
            elif _starts_by_cycle(self, my_task):
                value = my_task._get_internal_data("event_value")
                if isinstance(value, dict) and value.get("cycles", 0) != 0:
                    _arm_again(holder, cycle=dict(value))
            elif not isinstance(
                self.event_definition, TimerEventDefinition | ConditionalEventDefinition
            ):
                _arm_again(holder)
        return super()._run_hook(my_task)


# A spent cycle's state: no repetition left, so no job (`cycles` 0) and never due.
_SPENT = {"cycles": 0, "next": None, "duration": 0}


def _starts_by_cycle(spec: Any, my_task: Any) -> bool:
    return isinstance(spec.event_definition, CycleTimerEventDefinition) and (
        _event_subprocess_task(my_task.workflow) is not None
    )


def _take_carried_cycle(my_task: Any) -> None:
    """A re-armed event subprocess's start takes the cycle's state from its holder (where
    `_arm_again` left it), so that it waits for the next repetition, not a fresh cycle."""
    if my_task._get_internal_data("event_value") is not None:
        return
    holder = _event_subprocess_task(my_task.workflow)
    carried = holder._get_internal_data("cycle") if holder is not None else None
    if carried is not None:
        my_task._set_internal_data(event_value=dict(carried))


def _wait(my_task: Any) -> bool:
    """Keep a catch event waiting (what SpiffWorkflow's catching events do when not fired)."""
    if my_task.state != TaskState.WAITING:
        my_task._set_state(TaskState.WAITING)
    my_task.workflow.top_workflow.event_manager.add_task(my_task)
    return False


def _event_subprocess_task(workflow: Any) -> Any:
    """The event subprocess task that runs `workflow`, or None (a process or an ordinary
    subprocess)."""
    if workflow.parent_task_id is None:
        return None
    holder = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    return holder if isinstance(holder.task_spec, EventSubprocess) else None


def _interrupt(holder: Any) -> None:
    """Cancel everything else still open in the event subprocess's scope."""
    scope = holder.workflow
    own = {t.id for t in holder}  # the holder and what follows it
    for task in list(scope.get_tasks(state=TaskState.NOT_FINISHED_MASK)):
        # get_tasks also walks subprocesses: theirs go with their subprocess task.
        if task.workflow is not scope or task.id in own:
            continue
        if not task.has_state(TaskState.FINISHED_MASK):  # a cancelled ancestor took it already
            task.cancel()


def _arm_again(holder: Any, cycle: dict[str, Any] | None = None) -> None:
    """A fresh armed copy of a non-interrupting event subprocess, so that it can fire again
    (a timer cycle's copy waits for the `cycle`'s next repetition)."""
    start = holder.parent
    child = start._add_child(holder.task_spec, TaskState.FUTURE)
    if cycle is not None:
        child._set_internal_data(cycle=cycle)
    child.task_spec._update(child)


def armed(workflow: Any) -> list[Any]:
    """The event subprocess tasks of `workflow` whose start event still waits."""
    return [task for task in _event_subprocess_tasks(workflow) if _is_armed(task)]


def beside(workflow: Any) -> list[Any]:
    """The event subprocess tasks of `workflow` that hang beside its flow: armed, or done and
    waiting only for the scope's end (what pruning keeps apart from the flow)."""
    return [
        task
        for task in _event_subprocess_tasks(workflow)
        if _is_armed(task) or (task.has_state(TaskState.COMPLETED) and _waits_at_end(task))
    ]


def _event_subprocess_tasks(workflow: Any) -> list[Any]:
    spec = workflow.spec
    if not isinstance(spec, ScopeProcessSpec) or not spec.has_event_subprocesses:
        return []  # the common case, asked after every step: no scan
    return [
        task
        for task in workflow.get_tasks(state=TaskState.STARTED | TaskState.COMPLETED)
        if task.workflow is workflow and isinstance(task.task_spec, EventSubprocess)
    ]


def _is_armed(task: Any) -> bool:
    if not task.has_state(TaskState.STARTED):
        return False
    subprocess = task.workflow.top_workflow.subprocesses.get(task.id)
    if subprocess is None:
        return False
    starts = [t for t in subprocess.get_tasks() if isinstance(t.task_spec, BaseStartEvent)]
    return bool(starts) and all(t.has_state(TaskState.WAITING) for t in starts)


def _waits_at_end(task: Any) -> bool:
    end = task.workflow.spec.end
    return all(
        t.has_state(TaskState.FINISHED_MASK) or t.task_spec is end or t.task_spec in end.outputs
        for t in task
    )


class ScopeEndJoin(_EndJoin):
    """The end of a process or subprocess: does not wait for event subprocesses still armed,
    and withdraws them when the scope ends."""

    def _check_threshold_unstructured(self, my_task: Any) -> bool:
        skip = {t.id for a in armed(my_task.workflow) for t in a}  # armed, and what follows
        skip.add(my_task.id)
        tasks = TaskIterator(
            my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, end_at_spec=self.name
        )
        return all(task.id in skip for task in tasks)

    def _run_hook(self, my_task: Any) -> Any:
        for task in armed(my_task.workflow):
            task.cancel()
        return super()._run_hook(my_task)


class ScopeProcessSpec(BpmnProcessSpec):
    """A process (or subprocess) spec whose end is a `ScopeEndJoin`."""

    has_event_subprocesses = False  # set by the parser
    has_compensation = False  # set by the parser: activities with compensation handlers

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Specs refer to each other by name: the replacement takes the old join's place.
        old: Any = self.task_specs.pop(f"{self.name}.EndJoin")
        end = ScopeEndJoin(self, old.name)
        end.outputs = old.outputs
        self.end = end
