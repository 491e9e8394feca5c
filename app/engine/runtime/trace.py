"""What a step's tokens went through, for flow coverage (`ducha test`): read from the task tree.

SpiffWorkflow 3.2 keeps no sequence-flow ids in its specs, but a task is created as a child of
the task whose completion reached it (gateways keep only the children of the flows they took):
a reached task and its nearest BPMN ancestor name the flow taken, `source → target`. The tree is
pruned at the end of every step, so the trace is taken before that, from the tasks the step
completed and those it left ready.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

# A task the token reached: it ran, runs, or waits for a person (a catch event that still
# waits is armed, not reached: an event-based gateway arms all of its events).
REACHED = TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR
# A join's task for a branch that arrived first waits, then is cancelled when the join fires.
JOINED = REACHED | TaskState.WAITING | TaskState.CANCELLED


@dataclass(frozen=True)
class Place:
    """Where an element is: the diagram file and the process or subprocess that holds it."""

    file: str | None
    scope: str


@dataclass(frozen=True)
class TakenFlow:
    """A token went from `source` to `target` (both element ids of `place`)."""

    place: Place
    source: str
    target: str


@dataclass
class StepTrace:
    """The elements one step reached and the flows it took."""

    instance_id: uuid.UUID
    reached: list[tuple[Place, str]] = field(default_factory=list)
    flows: list[TakenFlow] = field(default_factory=list)


def of_step(instance_id: uuid.UUID, workflow: Any, completed: list[Any]) -> StepTrace:
    """The trace of a step that completed `completed` and left `workflow` waiting.

    Forward, from each task the step completed to the tasks its completion created; backward,
    from each task it completed or left ready to the task that created it (a catch event that
    fires now was created steps ago).
    """
    trace = StepTrace(instance_id)
    seen: set[tuple[Place, str, str]] = set()
    ready = workflow.get_tasks(state=TaskState.READY | TaskState.STARTED)
    for task in [*completed, *ready]:
        if task.task_spec.bpmn_id is None:
            continue
        trace.reached.append((_place(task), task.task_spec.bpmn_id))
        source = _bpmn_ancestor(task)
        if source is not None and source.has_state(TaskState.COMPLETED):
            _take(trace, seen, source, task)
    for source in completed:
        if source.task_spec.bpmn_id is None:
            continue
        for target in _bpmn_children(source):
            if target.has_state(JOINED if isinstance(target.task_spec, Join) else REACHED):
                trace.reached.append((_place(target), target.task_spec.bpmn_id))
                _take(trace, seen, source, target)
    return trace


def _take(trace: StepTrace, seen: set[tuple[Place, str, str]], source: Any, target: Any) -> None:
    key = (_place(target), source.task_spec.bpmn_id, target.task_spec.bpmn_id)
    if key not in seen:
        seen.add(key)
        trace.flows.append(TakenFlow(*key))


def _bpmn_children(task: Any) -> list[Any]:
    """The nearest descendants that are BPMN elements (through the engine's own tasks)."""
    found = []
    for child in task.children:
        if child is None or child.has_state(TaskState.PREDICTED_MASK):
            continue
        found.extend([child] if child.task_spec.bpmn_id is not None else _bpmn_children(child))
    return found


def _place(task: Any) -> Place:
    spec = task.workflow.spec
    return Place(getattr(spec, "file", None), spec.name)


def _bpmn_ancestor(task: Any) -> Any:
    """The nearest ancestor that is a BPMN element of the same (sub)process, or None: the
    engine's own tasks between them (a boundary event's split, a multi-instance's child)
    are skipped."""
    parent = task.parent
    while parent is not None and parent.task_spec.bpmn_id is None:
        parent = parent.parent
    return parent
