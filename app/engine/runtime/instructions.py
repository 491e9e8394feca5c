"""A modification's instructions read against one instance (修改指令): what each cancels or
starts, checked before any is applied.

An instruction that cannot apply to the process (an unknown element, a boundary event, a called
process's element, …) is 422 `invalid_modification`; one naming an activity that is not live
(finished meanwhile, e.g. by a completion that won a race) is 409 `activity_not_live`. Either
way every problem names its instruction (`instructions/<i>`) and nothing is changed. The moves
are applied by `modification.py`.
"""

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from app.engine.persist.data import data_problems
from app.engine.runtime import activities
from app.engine.runtime.engine import Loaded
from app.engine.schemas import ModificationInstruction
from app.engine.specs.events import EventSubprocess
from app.kit.errors import ActivityNotLive, InvalidModification

# Outgoing sequence flows of an element of the definition's diagram: (flow id, target id).
Flows = Callable[[str], list[tuple[str, str]]]


@dataclass
class Cancel:
    """Cancel these live element instances (instruction `index`)."""

    index: int
    tasks: list[Any]


@dataclass
class Start:
    """A new token at `spec` in `scope` (a workflow), with `variables` (instruction `index`)."""

    index: int
    element_id: str
    scope: Any
    spec: Any
    variables: dict[str, Any]


Move = Cancel | Start


@dataclass
class _Problems:
    """What is wrong with the instructions: refused (422) or naming what is not live (409)."""

    refused: list[dict[str, Any]] = field(default_factory=list)
    not_live: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, index: int, message: str, **extra: Any) -> None:
        self.refused.append({"field": f"instructions/{index}", "message": message, **extra})

    def gone(self, index: int, message: str, **extra: Any) -> None:
        self.not_live.append({"field": f"instructions/{index}", "message": message, **extra})

    def raise_any(self) -> None:
        if self.refused:
            problems = sorted(self.refused + self.not_live, key=lambda p: _index(p["field"]))
            raise InvalidModification(
                "the modification cannot be applied (nothing was changed)", errors=problems
            )
        if self.not_live:
            raise ActivityNotLive(
                "the modification names what is no longer live in the instance "
                "(nothing was changed)",
                errors=self.not_live,
            )


def _index(where: str) -> int:
    return int(where.split("/")[1])


@dataclass(frozen=True)
class Element:
    """A BPMN element a modification may name: its task spec and the process or embedded
    subprocess spec holding it (`event_scope`: an event subprocess's)."""

    scope: Any
    spec: Any
    event_scope: bool = False


@dataclass
class _Planning:
    """What planning knows while it reads the instructions in order."""

    loaded: Loaded
    flows: Flows
    elements: dict[str, Element]
    live: dict[uuid.UUID, Any]
    problems: _Problems = field(default_factory=_Problems)
    # Task ids an earlier instruction cancels (with what runs inside them): by instruction.
    cancelled: dict[uuid.UUID, int] = field(default_factory=dict)


def plan(loaded: Loaded, instructions: list[ModificationInstruction], flows: Flows) -> list[Move]:
    """The moves of `instructions`, each checked against the instance before any is applied;
    422 `invalid_modification` / 409 `activity_not_live` naming every problem otherwise."""
    workflow = loaded.workflow
    planning = _Planning(
        loaded,
        flows,
        elements(loaded.definition.bundle),
        {t.id: t for t in activities.live_elements(workflow)},
    )
    moves: list[Move] = []
    for index, instruction in enumerate(instructions):
        move = _plan_one(planning, index, instruction)
        if move is not None:
            moves.append(move)
    planning.problems.raise_any()
    return moves


def _plan_one(planning: _Planning, index: int, instruction: ModificationInstruction) -> Move | None:
    if instruction.type == "cancel":
        if instruction.activity_instance_id is not None:
            return _cancel_instance(planning, index, instruction.activity_instance_id)
        assert instruction.element_id is not None  # the schema requires one of them
        return _cancel_element(planning, index, instruction.element_id)
    return _start(planning, index, instruction)


def elements(bundle: Any) -> dict[str, Element]:
    """The elements of the process and of its embedded subprocesses, by id (a called process's
    elements are not among them: they run in the call activity, modified as one)."""
    found: dict[str, Element] = {}
    pending = [(bundle.spec, False)]
    while pending:
        scope, event_scope = pending.pop()
        for spec in scope.task_specs.values():
            # A multi-instance subprocess runs its inner task (`<id> [child]`): it holds the
            # subprocess's elements, but is not an element itself.
            if activities.is_embedded(spec) and spec.spec in bundle.subprocess_specs:
                inner = bundle.subprocess_specs[spec.spec]
                pending.append((inner, isinstance(spec, EventSubprocess)))
            if spec.bpmn_id is not None and spec.name == spec.bpmn_id:
                found.setdefault(spec.bpmn_id, Element(scope, spec, event_scope))
    return found


# --- cancel ----------------------------------------------------------------------------------


def _cancel_instance(planning: _Planning, index: int, task_id: uuid.UUID) -> Move | None:
    problems = planning.problems
    if task_id in planning.cancelled:
        earlier = planning.cancelled[task_id]
        problems.refuse(index, f"activity instance {task_id} is cancelled by instruction {earlier}")
        return None
    task = planning.live.get(task_id)
    if task is None:
        problems.gone(index, f"activity instance {task_id} is not live in this instance")
        return None
    why = _why_not_cancel(task)
    if why is not None:
        problems.refuse(index, why, element_id=task.task_spec.bpmn_id)
        return None
    _note_cancelled(planning, index, task)
    return Cancel(index, [task])


def _cancel_element(planning: _Planning, index: int, element_id: str) -> Move | None:
    element = _known_element(planning, index, element_id)
    if element is None:
        return None
    if element.event_scope and isinstance(element.spec, StartEvent):
        planning.problems.refuse(index, _EVENT_START.format(element_id), element_id=element_id)
        return None
    tasks = [
        t
        for t in planning.live.values()
        if t.task_spec is element.spec and t.id not in planning.cancelled
    ]
    if not tasks:
        message = f"no instance of '{element_id}' is live"
        planning.problems.gone(index, message, element_id=element_id)
        return None
    for task in tasks:
        _note_cancelled(planning, index, task)
    return Cancel(index, tasks)


_EVENT_START = (
    "'{}' is the start event of an event subprocess: cancel the event subprocess to withdraw it"
)


def _why_not_cancel(task: Any) -> str | None:
    """Why this live element instance may not be cancelled by itself (None: it may)."""
    spec, element_id = task.task_spec, task.task_spec.bpmn_id
    call = activities.call_above(task)
    if call is not None:
        return (
            f"'{element_id}' runs in the process called by '{call.task_spec.bpmn_id}': "
            f"cancel the call activity (activity instance {call.id}) instead"
        )
    outer = task.parent
    if outer is not None and isinstance(outer.task_spec, LoopTask) and spec.name != element_id:
        return (
            f"'{element_id}' is one instance of a multi-instance or loop activity: cancel the "
            f"whole activity (activity instance {outer.id}) instead"
        )
    holder = activities.holder(task)
    if isinstance(spec, StartEvent) and holder and activities.is_event_subprocess(holder):
        return _EVENT_START.format(element_id) + f" (activity instance {holder.id})"
    return None


def _note_cancelled(planning: _Planning, index: int, task: Any) -> None:
    """Everything the cancel takes with it: what runs inside the task, and its boundary
    events."""
    top = planning.loaded.workflow
    for outer in [task, *activities.boundary_events(task)]:
        for inner in outer:
            planning.cancelled.setdefault(inner.id, index)
            subprocess = top.subprocesses.get(inner.id)
            if subprocess is not None:
                for nested in subprocess.get_tasks():
                    planning.cancelled.setdefault(nested.id, index)


# --- start -----------------------------------------------------------------------------------


def _start(planning: _Planning, index: int, instruction: ModificationInstruction) -> Move | None:
    element_id = instruction.element_id
    assert element_id is not None  # the schema requires it for starts
    element = _known_element(planning, index, element_id)
    if element is None:
        return None
    why = _why_not_start(element, planning.loaded.definition.bundle.spec)
    if why is not None:
        planning.problems.refuse(index, why, element_id=element_id)
        return None
    if instruction.type == "start_before":
        entry = entry_spec(element.scope, element_id)
    else:
        entry = _after(planning, index, element.scope, element_id, instruction.flow_id)
    scope = _scope(planning, index, element.scope, instruction.ancestor_activity_instance_id)
    bad = data_problems(instruction.variables)
    for problem in bad:
        where = f"instructions/{index}/variables/{problem['field']}"
        planning.problems.refused.append({**problem, "field": where})
    if entry is None or scope is None or bad:
        return None
    return Start(index, element_id, scope, entry, copy.deepcopy(instruction.variables))


def _why_not_start(element: Element, process_spec: Any) -> str | None:
    """Why a token may not start at this element (None: it may)."""
    element_id = element.spec.bpmn_id
    if isinstance(element.spec, BoundaryEvent):
        return (
            f"'{element_id}' is a boundary event: no flow reaches it (start before or after "
            "the element its flow leads to, or fire its timer)"
        )
    if not isinstance(element.spec, StartEvent):
        return None
    if element.event_scope:
        return f"'{element_id}' is the start event of an event subprocess: it starts by its event"
    if element.scope is process_spec:
        return f"'{element_id}' is a start event of the process: start the element after it"
    return (
        f"'{element_id}' is the start event of subprocess '{element.scope.name}': start the "
        "subprocess, or the element after its start"
    )


def entry_spec(scope_spec: Any, element_id: str) -> Any:
    """The task spec a token arriving at an element starts at: the element's, or the split of
    its boundary events (so that they wait while it runs)."""
    return (
        scope_spec.task_specs.get(f"{element_id}.BoundaryEventSplit")
        or scope_spec.task_specs[element_id]
    )


def _after(
    planning: _Planning, index: int, scope_spec: Any, element_id: str, flow_id: str | None
) -> Any:
    """The task spec a token leaving `element_id` (by its one flow, or `flow_id`) starts at."""
    flows = planning.flows(element_id)
    described = ", ".join(f"{f} → {t}" for f, t in flows)
    problems = planning.problems
    if not flows:
        problems.refuse(index, f"'{element_id}' has no outgoing flow", element_id=element_id)
        return None
    if flow_id is not None:
        target = dict(flows).get(flow_id)
        if target is None:
            message = f"flow '{flow_id}' does not leave '{element_id}' (its flows: {described})"
            problems.refuse(index, message, element_id=element_id, flows=dict(flows))
            return None
    elif len(flows) > 1:
        message = f"'{element_id}' has several outgoing flows ({described}): name one with flow_id"
        problems.refuse(index, message, element_id=element_id, flows=dict(flows))
        return None
    else:
        target = flows[0][1]
    if target not in scope_spec.task_specs:  # e.g. a link event, which the parser joins up
        message = f"'{element_id}' leads to '{target}', where no token can start"
        problems.refuse(index, message, element_id=element_id)
        return None
    return entry_spec(scope_spec, target)


def _scope(planning: _Planning, index: int, scope_spec: Any, ancestor: uuid.UUID | None) -> Any:
    """The workflow a token of `scope_spec` starts in: the process, or the one active instance
    of the subprocess (`ancestor` when it runs more than once)."""
    top = planning.loaded.workflow
    if scope_spec is top.spec:
        return top
    running = {
        holder_id: sub
        for holder_id, sub in top.subprocesses.items()
        if sub.spec is scope_spec and _active(planning, holder_id)
    }
    problems, name = planning.problems, scope_spec.name
    if ancestor is not None:
        if ancestor not in running:
            problems.refuse(index, f"{ancestor} is not an active instance of subprocess '{name}'")
        return running.get(ancestor)
    if len(running) == 1:
        return next(iter(running.values()))
    if not running:
        message = (
            f"the element is inside subprocess '{name}', which is not active: start before "
            f"'{name}' itself"
        )
        problems.refuse(index, message)
    else:
        ids = ", ".join(str(i) for i in running)
        message = (
            f"subprocess '{name}' runs {len(running)} times ({ids}): name one with "
            "ancestor_activity_instance_id"
        )
        problems.refuse(index, message)
    return None


def _active(planning: _Planning, holder_id: uuid.UUID) -> bool:
    """A subprocess instance that runs: its task live, not armed, not cancelled earlier."""
    holder = planning.live.get(holder_id)
    if holder is None or holder_id in planning.cancelled:
        return False
    return holder.has_state(TaskState.STARTED) and not activities.is_armed(holder)


def _known_element(planning: _Planning, index: int, element_id: str) -> Element | None:
    element = planning.elements.get(element_id)
    if element is not None:
        return element
    bundle = planning.loaded.definition.bundle
    called = [n for n, spec in bundle.subprocess_specs.items() if element_id in spec.task_specs]
    if called:
        message = (
            f"'{element_id}' is an element of called process '{called[0]}': modify the call "
            "activity instead"
        )
    else:
        message = f"'{element_id}' is no element of process '{bundle.spec.name}'"
    planning.problems.refuse(index, message, element_id=element_id)
    return None
