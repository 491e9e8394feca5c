"""A migration plan (迁移计划): which element of a source version becomes which element of the
target version, checked against both diagrams.

Elements map automatically when the target has an element of the same id and a compatible
type; a renamed element needs an explicit mapping. Only the process's own elements are planned
(its embedded and event subprocesses included): a called process is another definition, whose
running part stays on its own version (`migration_state`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask

from app.engine.parser.parsing import Bundle
from app.kit.errors import InvalidData

# Element types that are one kind of thing for a migration: a person's task.
_HUMAN = frozenset({"UserTask", "ManualTask"})


@dataclass(frozen=True)
class Element:
    """One BPMN element of a process as a plan sees it."""

    element_id: str
    element_type: str  # the engine's class name, as history records it
    kind: str  # what must match for a mapping: type, event kind, called process, loop body
    scope: str  # the embedded subprocess that holds it ("" for the process itself)
    attached_to: str | None = None  # a boundary event's activity


@dataclass(frozen=True)
class Instruction:
    """Source element → target element; `auto` when mapped because the ids are equal."""

    source_element_id: str
    target_element_id: str
    element_type: str
    target_element_type: str
    auto: bool


@dataclass(frozen=True)
class Unmapped:
    """A source element no instruction maps, and why."""

    element_id: str
    element_type: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """A checked plan: the instructions, the source elements left out, the target's new ones."""

    instructions: list[Instruction]
    unmapped: list[Unmapped]
    target_only: list[str]

    @property
    def elements(self) -> dict[str, str]:
        """Source element id → target element id."""
        return {i.source_element_id: i.target_element_id for i in self.instructions}


def elements(bundle: Bundle) -> dict[str, Element]:
    """Every BPMN element of the bundle's own process (not of the processes it calls)."""
    found: dict[str, Element] = {}
    for process_spec in own_specs(bundle):
        attachments = _attachments(process_spec)
        scope = "" if process_spec is bundle.spec else process_spec.name
        for name, spec in process_spec.task_specs.items():
            if spec.bpmn_id is None or name != spec.bpmn_id:
                continue  # engine-internal specs, and a multi-instance body (it follows its loop)
            found[name] = Element(
                name,
                type(spec).__name__,
                _kind(spec, process_spec),
                scope,
                attachments.get(name),
            )
    return found


def own_specs(bundle: Bundle) -> list[Any]:
    """The process spec and the specs of its embedded and event subprocesses, nested too."""
    found, pending = [], [bundle.spec]
    while pending:
        process_spec = pending.pop()
        found.append(process_spec)
        for spec in process_spec.task_specs.values():
            if isinstance(spec, SubWorkflowTask) and not isinstance(spec, CallActivity):
                pending.append(bundle.subprocess_specs[spec.spec])
    return found


def _attachments(process_spec: Any) -> dict[str, str]:
    """Boundary event id → the id of the activity it is attached to."""
    found = {}
    for spec in process_spec.task_specs.values():
        if isinstance(spec, BoundaryEventSplit):
            main, *events = spec.outputs
            found.update({event.name: main.name for event in events})
    return found


def _kind(spec: Any, process_spec: Any) -> str:
    if isinstance(spec, LoopTask):
        body = process_spec.task_specs[spec.task_spec]
        return f"{type(spec).__name__}({_kind(body, process_spec)})"
    if isinstance(spec, CallActivity):
        return f"CallActivity:{spec.spec}"
    kind = "human task" if type(spec).__name__ in _HUMAN else type(spec).__name__
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, CycleTimerEventDefinition):
        return f"{kind}:cycle timer"
    if isinstance(definition, TimerEventDefinition):
        return f"{kind}:timer"
    if definition is not None:
        return f"{kind}:{type(definition).__name__}"
    return kind


def describe(element: Element) -> str:
    """An element's type in words for a refusal."""
    return f"'{element.element_id}' ({element.kind})"


def generate(source: Bundle, target: Bundle, mappings: list[tuple[str, str]]) -> Plan:
    """The plan: the explicit `mappings` (source id, target id) first, then every other source
    element whose id the target has with a compatible type; 422 naming `mappings[i]` for a
    mapping of an unknown element or of incompatible types."""
    return build(source, target, mappings, field="mappings", auto=True)


def check(source: Bundle, target: Bundle, instructions: list[tuple[str, str]]) -> Plan:
    """A plan given back (validate, execute): exactly these instructions, checked as
    `generate` checks mappings (422 naming `plan.instructions[i]`)."""
    return build(source, target, instructions, field="plan.instructions", auto=False)


def build(
    source: Bundle, target: Bundle, pairs: list[tuple[str, str]], *, field: str, auto: bool
) -> Plan:
    """The checked plan of `pairs`, completed by equal ids when `auto`."""
    old, new = elements(source), elements(target)
    explicit: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for index, (source_id, target_id) in enumerate(pairs):
        message = _pair_problem(old, new, explicit, source_id, target_id)
        if message is not None:
            problems.append({"field": f"{field}[{index}]", "message": message})
        explicit.setdefault(source_id, target_id)
    if problems:
        raise InvalidData("the migration plan cannot be applied", errors=problems)
    mapped = dict(explicit)
    reasons = _auto(old, new, mapped) if auto else {}
    problems = _consistency(old, new, mapped, field, pairs)
    if problems:
        raise InvalidData("the migration plan cannot be applied", errors=problems)
    instructions = [
        Instruction(s, t, old[s].element_type, new[t].element_type, s not in explicit)
        for s, t in sorted(mapped.items())
    ]
    unmapped = [
        Unmapped(e.element_id, e.element_type, reasons.get(e.element_id, "no instruction maps it"))
        for e in sorted(old.values(), key=lambda e: e.element_id)
        if e.element_id not in mapped
    ]
    target_only = sorted(set(new) - set(mapped.values()))
    return Plan(instructions, unmapped, target_only)


def _pair_problem(
    old: dict[str, Element],
    new: dict[str, Element],
    explicit: dict[str, str],
    source_id: str,
    target_id: str,
) -> str | None:
    if source_id not in old:
        return f"the source version has no element '{source_id}'"
    if target_id not in new:
        return f"the target version has no element '{target_id}'"
    if source_id in explicit:
        return f"element '{source_id}' is mapped twice"
    if old[source_id].kind != new[target_id].kind:
        return f"{describe(old[source_id])} cannot become {describe(new[target_id])}"
    return None


def _consistency(
    old: dict[str, Element],
    new: dict[str, Element],
    mapped: dict[str, str],
    field: str,
    pairs: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """An explicitly mapped element must stay in the mapped scope, and a boundary event on
    the mapped activity: the engine's state keeps them together."""
    problems = []
    for index, (source_id, target_id) in enumerate(pairs):
        message = _placement(old, new, mapped, source_id, target_id)
        if message is not None:
            problems.append({"field": f"{field}[{index}]", "message": message})
    return problems


def _placement(
    old: dict[str, Element],
    new: dict[str, Element],
    mapped: dict[str, str],
    source_id: str,
    target_id: str,
) -> str | None:
    """Why `source_id` cannot become `target_id` where it stands (None: it can)."""
    before, after = old[source_id], new[target_id]
    scope = _scope_in_target(before.scope, mapped)
    if scope != after.scope:
        return (
            f"'{source_id}' is inside {_scope_name(before.scope)}, which becomes "
            f"{_scope_name(scope)}, but '{target_id}' is inside {_scope_name(after.scope)}"
        )
    if before.attached_to is not None:
        host = mapped.get(before.attached_to)
        if host != after.attached_to:
            return (
                f"boundary event '{source_id}' is attached to '{before.attached_to}', which "
                f"becomes '{host}', but '{target_id}' is attached to '{after.attached_to}'"
            )
    return None


def _scope_name(scope: str | None) -> str:
    if scope is None:
        return "nothing"
    return f"'{scope}'" if scope else "the process"


def _scope_in_target(scope: str, mapped: dict[str, str]) -> str | None:
    return mapped.get(scope) if scope else scope  # the process itself stays the process


def _auto(
    old: dict[str, Element], new: dict[str, Element], mapped: dict[str, str]
) -> dict[str, str]:
    """Map by equal id what is compatible, outermost scopes first (an element's scope must be
    mapped before it); the reasons of those left out."""
    reasons: dict[str, str] = {}
    pending = [e for e in old.values() if e.element_id not in mapped]
    progress = True
    while pending and progress:
        progress, waiting = False, []
        for element in pending:
            reason = _auto_reason(element, old, new, mapped)
            if reason is None:
                mapped[element.element_id] = element.element_id
                progress = True
            else:
                reasons[element.element_id] = reason
                waiting.append(element)
        pending = waiting
    return reasons


def _auto_reason(
    element: Element, old: dict[str, Element], new: dict[str, Element], mapped: dict[str, str]
) -> str | None:
    """Why `element` does not map to the target's element of the same id (None: it does)."""
    twin = new.get(element.element_id)
    if twin is None:
        return f"the target version has no element '{element.element_id}'"
    if twin.kind != element.kind:
        return f"{describe(element)} is {describe(twin)} in the target version"
    if twin.element_id in mapped.values():
        return f"another element is mapped onto '{twin.element_id}'"
    trial = {**mapped, element.element_id: twin.element_id}
    return _placement(old, new, trial, element.element_id, twin.element_id)


def target_names(
    source_spec: Any, target_spec: Any, element_map: dict[str, str]
) -> dict[str, str | None]:
    """Source task spec name → target task spec name, for one process (or subprocess) spec.

    BPMN elements follow the element map; the engine's own specs follow the element they
    belong to (`<activity>.BoundaryEventSplit`, `<process>.EndJoin`, a loop's `<id> [child]`);
    None where the target has no counterpart.
    """
    names: dict[str, str | None] = {}
    for name, spec in source_spec.task_specs.items():
        candidate = _counterpart(name, spec, source_spec, target_spec, element_map)
        names[name] = candidate if candidate in target_spec.task_specs else None
    return names


def _counterpart(
    name: str, spec: Any, source_spec: Any, target_spec: Any, element_map: dict[str, str]
) -> str | None:
    if name in ("Start", "End"):
        return name
    if spec.bpmn_id is not None and name == spec.bpmn_id:
        return element_map.get(name)
    if name.endswith(" [child]"):
        loop = element_map.get(name.removesuffix(" [child]"))
        return f"{loop} [child]" if loop is not None else None
    prefix, _, suffix = name.rpartition(".")
    if prefix == source_spec.name:
        return f"{target_spec.name}.{suffix}"
    if prefix in element_map:
        return f"{element_map[prefix]}.{suffix}"
    return None


def same_ids(source_spec: Any, target_spec: Any) -> dict[str, str]:
    """The element map of a called process at another version: equal ids of compatible kind."""
    return {
        name: name
        for name, spec in source_spec.task_specs.items()
        if spec.bpmn_id is not None
        and name == spec.bpmn_id
        and name in target_spec.task_specs
        and _kind(spec, source_spec) == _kind(target_spec.task_specs[name], target_spec)
    }


def pairs_of(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(source id, target id) of request items with `source_element_id`/`target_element_id`."""
    return [(i.source_element_id, i.target_element_id) for i in items]
