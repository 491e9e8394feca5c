"""The engine's half of migrating one instance: its live workflow re-pointed at the target's
specs, in memory.

SpiffWorkflow 3.2 has a tool for this (`SpiffWorkflow.bpmn.util.diff`); what fits is used:
`WorkflowDiff` aligns each task of a (sub)workflow with its new spec and lists those without one.
What does not fit: `SpecDiff` compares specs through their serializer converters, which the
engine's own spec classes do not have (specs are cached per version, never serialized), and
the plan (`migration_plan`) aligns by the operator's mapping rather than by structure; and
`migrate_workflow` resets every ready and waiting task, which would re-arm a waiting timer
from now and give a multi-instance item its parent's data instead of its own. Here a live task
keeps its id, its data and its internal state (a timer's due time); only what it predicted
(the tasks after it, of the old diagram) is dropped and predicted again from the new one.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff
from SpiffWorkflow.util.task import TaskState

from app.engine.runtime.caches import CachedDefinition
from app.engine.runtime.migration_plan import same_ids, target_names

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE


@dataclass(frozen=True)
class ActiveElement:
    """An element an instance is at, and what it becomes (None: nothing, and why)."""

    element_id: str
    element_type: str
    target_element_id: str | None
    reason: str | None = None
    called_process: str | None = None  # set when the element is inside a called process


@dataclass
class _Alignment:
    """What `WorkflowDiff` reads of a `SpecDiff`: old spec → new spec (None: no counterpart)."""

    alignment: dict[Any, Any]
    removed: list[Any]
    changed: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Context:
    """Where a (sub)workflow's elements map: the element map and, in a called process, why an
    element may have no counterpart."""

    element_map: dict[str, str]
    called_process: str | None = None
    refusal: str | None = None  # why an element of it has no counterpart (else: the plan)


@dataclass
class _Move:
    """One (sub)workflow, its diff and the spec it gets."""

    workflow: Any
    diff: WorkflowDiff
    target_spec: Any
    context: _Context


@dataclass
class Retarget:
    """An instance's workflow examined against a plan: what its active elements become."""

    workflow: Any
    target: CachedDefinition
    moves: list[_Move]
    active: list[ActiveElement]
    dropped: list[UUID]  # finished subworkflows without a counterpart (their parent tasks)

    @property
    def migratable(self) -> bool:
        return all(a.target_element_id is not None for a in self.active)


def examine(
    workflow: Any,
    target: CachedDefinition,
    element_map: dict[str, str],
    same_called: frozenset[str],
) -> Retarget:
    """What each active element of `workflow` becomes under `element_map` (nothing changes).

    `same_called`: the called processes the target calls at the version the source does (their
    running parts move unchanged; another version maps by equal ids).
    """
    top = _move(workflow, target.bundle.spec, _Context(element_map))
    moves = {id(workflow): top}
    dropped: list[UUID] = []
    for parent_id, sub in workflow.subprocesses.items():  # a parent before its children
        parent = workflow.get_task_from_id(parent_id)
        holder = moves.get(id(parent.workflow))
        if holder is None:
            continue  # inside a part that is dropped already
        target_spec, context = _sub_target(parent, sub, holder, target, same_called)
        if target_spec is None and sub.completed:
            dropped.append(parent_id)  # done, and nothing to become: its history is kept
            continue
        moves[id(sub)] = _move(sub, target_spec, context)
    active = [a for move in moves.values() for a in _active(move)]
    return Retarget(workflow, target, list(moves.values()), _distinct(active), dropped)


def _sub_target(
    parent: Any,
    sub: Any,
    holder: "_Move",
    target: CachedDefinition,
    same_called: frozenset[str],
) -> tuple[Any, _Context]:
    """The target spec of a subworkflow (None: none) and where its elements map."""
    context = holder.context
    if not isinstance(parent.task_spec, CallActivity):  # embedded: its parent's counterpart's
        new_parent = holder.diff.alignment.get(parent)
        name = getattr(new_parent, "spec", None)
        found = target.bundle.subprocess_specs.get(name) if name else None
        refusal = context.refusal or f"'{parent.task_spec.bpmn_id}' is not mapped"
        return found, context if found is not None else _Context(
            {}, context.called_process, refusal
        )
    key = sub.spec.name
    found = target.bundle.subprocess_specs.get(key)
    if found is None:
        return None, _Context({}, key, f"the target version does not call '{key}'")
    if key in same_called:
        return found, _Context(same_ids(sub.spec, found), key)
    refusal = f"the target version calls another version of '{key}', without this element"
    return found, _Context(same_ids(sub.spec, found), key, refusal)


def _move(workflow: Any, target_spec: Any, context: _Context) -> _Move:
    """One (sub)workflow's alignment, computed by SpiffWorkflow's `WorkflowDiff`."""
    source_spec = workflow.spec
    names = target_names(source_spec, target_spec, context.element_map) if target_spec else {}
    alignment = {
        spec: target_spec.task_specs[names[name]] if names.get(name) else None
        for name, spec in source_spec.task_specs.items()
    }
    removed = [spec for spec, new in alignment.items() if new is None]
    diff = WorkflowDiff(workflow, _Alignment(alignment, removed))
    return _Move(workflow, diff, target_spec, context)


def _active(move: _Move) -> Iterator[ActiveElement]:
    """The live tasks of one (sub)workflow as elements, mapped or not."""
    for task in move.workflow.tasks.values():
        if not task.has_state(LIVE):
            continue
        spec = task.task_spec
        element_id = spec.bpmn_id or spec.name
        new = move.diff.alignment.get(task)
        if new is not None and spec.bpmn_id is None:
            continue  # an engine-internal task (a scope's end join …): it follows its element
        if new is not None:
            target_id = new.bpmn_id or new.name
            yield ActiveElement(
                element_id, type(spec).__name__, target_id, None, move.context.called_process
            )
            continue
        reason = _refusal(move.context, element_id)
        yield ActiveElement(
            element_id, type(spec).__name__, None, reason, move.context.called_process
        )


def _refusal(context: _Context, element_id: str) -> str:
    if context.refusal is not None:
        return context.refusal
    return f"no instruction of the plan maps '{element_id}'"


def _distinct(active: list[ActiveElement]) -> list[ActiveElement]:
    """Each active element once, in order: a multi-instance's items, and the loop around
    them, are one element (one that does not map says so)."""
    seen: dict[tuple[str, str | None], ActiveElement] = {}
    for element in active:
        key = (element.element_id, element.called_process)
        if key not in seen or element.target_element_id is None:
            seen[key] = element
    return list(seen.values())


def apply(retarget: Retarget) -> None:
    """Re-point the workflow at the target's specs (only when every active element maps).

    Finished tasks without a counterpart leave the tree (their history is in our tables); each
    live task keeps its id, data and internal state, and what it predicted is predicted again
    from the target's diagram.
    """
    workflow = retarget.workflow
    for parent_id in retarget.dropped:
        _drop_subworkflow(workflow, parent_id)
    for move in retarget.moves:
        _retarget(move)
    workflow.subprocess_specs = retarget.target.bundle.subprocess_specs


def _retarget(move: _Move) -> None:
    wf, diff = move.workflow, move.diff
    for task in diff.removed:
        if task.id in wf.tasks and task.has_state(TaskState.FINISHED_MASK):
            _splice(wf, task)
    for task, spec in diff.alignment.items():
        if spec is not None:
            task.task_spec = spec
    wf.spec = move.target_spec
    for task in [t for t in wf.tasks.values() if t.has_state(LIVE)]:
        _predict_again(task)
    for task in [t for t in diff.removed if t.id in wf.tasks]:
        wf._remove_task(task.id)  # a prediction of the old diagram nothing live leads to
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:
        wf.last_task = None


def _splice(wf: Any, task: Any) -> None:
    """Take a finished task out of the tree; its children hang from its parent instead."""
    parent = task.parent
    if parent is None:
        return  # the root maps always ("Start")
    index = parent._children.index(task.id)
    parent._children[index : index + 1] = list(task._children)
    for child in task.children:
        child._parent = parent.id
    _drop_subworkflow(wf.top_workflow, task.id)
    del wf.tasks[task.id]


def _drop_subworkflow(top: Any, parent_id: UUID) -> None:
    sub = top.subprocesses.pop(parent_id, None)
    if sub is None:
        return
    for task_id in list(sub.tasks):
        _drop_subworkflow(top, task_id)


def _predict_again(task: Any) -> None:
    """Drop what a live task predicted and predict it again from its (new) spec."""
    for child in list(task.children):
        if child.triggered or not child.has_state(PREDICTED):
            continue  # a multi-instance item, or a task that ran: not a prediction
        if any(not t.has_state(PREDICTED) for t in child):
            continue
        task.workflow._remove_task(child.id)
    task.task_spec._predict_hook(task)
    for child in task.children:
        if not child.triggered and child.has_state(PREDICTED):
            child.task_spec._predict(child, mask=PREDICTED)
