"""The engine's persistent state: a safe workflow class, spec-less serialization, pruning."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.engine.script import expressions
from app.engine.script.expressions import safe_script_engine
from app.engine.specs import events
from app.kit.clock import clock
from app.kit.timezone import CHINA


class SafeBpmnWorkflow(BpmnWorkflow):
    """A workflow whose script engine is always the restricted one, also after a restore."""

    def __init__(
        self, spec: Any, subprocess_specs: Any = None, script_engine: Any = None, **kw: Any
    ):
        super().__init__(spec, subprocess_specs, script_engine=safe_script_engine(), **kw)


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the specs out of the state: they are cached per definition version instead."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> Any:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _TypedDeltaTaskConverter(TaskConverter):
    """Task data as a delta from the parent that tells `True` from `1` and `1.0` from `1`.

    The library compares values with `==`, so a value that only changed type was lost on
    restore (an answer `true` came back as the `1` of an earlier step).
    """

    def to_dict(self, task: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(task)
        parent = task.parent
        if parent is not None:
            updates = dct["delta"]["updates"]
            for key, value in task.data.items():
                if key not in updates and key in parent.data and not same(parent.data[key], value):
                    updates[key] = value
        return dct


def same(a: Any, b: Any) -> bool:
    """Equal values of equal JSON types, at any depth (`==` says `1 == True == 1.0`)."""
    if a is b:  # task data is shallow-copied from parent to child: mostly the very same objects
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _make_serializer() -> tuple[BpmnWorkflowSerializer, _SpeclessWorkflowConverter]:
    config = dict(SPIFF_CONFIG)  # a copy: never mutate the library's module-level config
    config.pop(BpmnWorkflow)
    config[Task] = _TypedDeltaTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    converter = _SpeclessWorkflowConverter(SafeBpmnWorkflow, registry)
    return BpmnWorkflowSerializer(registry), converter


_serializer, _converter = _make_serializer()


def new_workflow(spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    """A fresh workflow of a cached spec, with the restricted engine."""
    return SafeBpmnWorkflow(spec, subprocess_specs)


def find_task(workflow: Any, task_id: UUID) -> Any:
    """The engine task with this id, anywhere in the workflow, or None."""
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None  # removed from the tree (pruned, or dropped with a cancelled branch)


def dump(workflow: Any) -> str:
    """Serialize a workflow without its specs."""
    return str(_serializer.serialize_json(workflow))


def load(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    """Restore a workflow from `dump` output and the cached specs of its definition."""
    dct = json.loads(state)
    _serializer.migrate(dct)
    return _converter.restore(dct, spec, subprocess_specs)


def prune(workflow: Any) -> int:
    """Drop the finished part of each task tree above every live task; returns tasks dropped.

    Keeps the step cost and the state size flat as history grows, and keeps trees shallower
    than SpiffWorkflow's iteration depth limit (loops otherwise stall near 1,000 levels).
    History of the dropped tasks is already in our own tables.
    """
    dropped = _prune_tree(workflow, workflow)
    for subprocess in list(workflow.subprocesses.values()):
        if not subprocess.completed:
            dropped += _prune_tree(workflow, subprocess)
    return dropped


def _prune_tree(top: Any, wf: Any) -> int:
    if getattr(wf.spec, "has_compensation", False):
        return 0  # a compensation throw must still find the completed activities
    root = wf.task_tree
    # Event subprocesses armed, or done and waiting for the scope's end, hang beside the scope's
    # flow: they move up to the root with the kept part, so that a scope's loop is still pruned.
    aside = events.beside(wf)
    keep = _lowest_finished_ancestor(wf, {task.id for task in aside})
    if keep is None or keep is root or keep.parent is root:
        return 0
    kept_ids = {task.id for task in keep}  # `keep` and all its descendants
    kept_ids.add(root.id)
    for task in aside:
        kept_ids.update(t.id for t in task)
    doomed = [tid for tid in wf.tasks if tid not in kept_ids]
    for tid in doomed:
        _drop_subprocess(top, tid)
        del wf.tasks[tid]
    root._children = [keep.id, *(task.id for task in aside)]
    for task in [keep, *aside]:
        task._parent = root.id
    if wf.last_task is not None and wf.last_task.id not in kept_ids:
        wf.last_task = None
    return len(doomed)


def _lowest_finished_ancestor(wf: Any, aside: set[UUID]) -> Any:
    """The deepest finished task whose subtree holds every unfinished task of `wf` (but those
    set `aside`)."""
    node = wf.task_tree
    while True:
        if not node.has_state(TaskState.FINISHED_MASK):
            return node.parent
        live_children = [c for c in node.children if c.id not in aside and _has_live(c)]
        if len(live_children) != 1:
            return node
        node = live_children[0]


def _has_live(task: Any) -> bool:
    return any(not t.has_state(TaskState.FINISHED_MASK) for t in task)


def _drop_subprocess(top: Any, task_id: UUID) -> None:
    subprocess = top.subprocesses.pop(task_id, None)
    if subprocess is None:
        return
    for child_id in list(subprocess.tasks):
        _drop_subprocess(top, child_id)


class _ClockDateTime(datetime):
    """`datetime` whose `now()` reads the service clock, so that tests can move time."""

    @classmethod
    def now(cls, tz: Any = None) -> "_ClockDateTime":
        current = clock.now()
        current = current.astimezone(tz) if tz is not None else current
        return cls.fromtimestamp(current.timestamp(), tz=current.tzinfo)


def install_clock() -> None:
    """Point SpiffWorkflow's timer arithmetic and the expression helpers at the service clock.

    Naive timer dates are read in China time, as `timeutil` reads due dates, whatever the
    server's zone. Done at import and again whenever an `Engine` is built.
    """
    timer_module.datetime = _ClockDateTime
    timer_module.LOCALTZ = CHINA
    expressions.set_clock(clock.now)


install_clock()
