"""What is kept warm between requests: parsed definitions and loaded workflows."""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.parser import parsing
from app.engine.parser.parsing import Bundle, ElementMeta
from app.engine.persist.models import ProcessDefinition
from app.kit.errors import NotFound


@dataclass
class CachedDefinition:
    """A definition's parsed bundle, the forms of it and its called processes, validators."""

    bundle: Bundle
    forms: dict[str, Any]
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def validator(self, form: str) -> Draft202012Validator:
        if form not in self.validators:
            self.validators[form] = Draft202012Validator(self.forms[form])
        return self.validators[form]

    def meta_for(self, task: Any) -> ElementMeta | None:
        """Form, candidates and due date of an engine task (of whichever process it is in)."""
        return self.bundle.meta.get((task.workflow.spec.name, task.task_spec.bpmn_id))


Bindings = dict[str, str]
"""Called processes bound late (BPMN process id -> definition id), as an instance keeps them."""


class SpecCache:
    """Parsed specs per definition version and late bindings: parsed once, shared read-only.

    A call to a process that was not deployed with its caller is bound by `bind` to that
    process's latest version when an instance starts (or, still missing then, at its first step
    after it is deployed); the instance keeps its bindings (`ProcessInstance.bindings`), so the
    specs are cached by them too.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[uuid.UUID, frozenset[tuple[str, str]]], CachedDefinition] = {}
        self._lock = threading.Lock()

    def get(
        self, session: Session, definition_id: uuid.UUID, bindings: Bindings | None = None
    ) -> CachedDefinition:
        """The specs of a definition with its pinned callees and these late-bound ones."""
        cache_key = (definition_id, frozenset((bindings or {}).items()))
        cached = self._items.get(cache_key)
        if cached is not None:
            return cached
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"process definition {definition_id} not found")
        called = called_definitions(session, definition, bindings or {})
        documents = [(parsing.parse_stored(definition.bpmn_xml), definition.file_name)]
        documents += [(parsing.parse_stored(d.bpmn_xml), d.file_name) for d in called]
        forms = parsing.merge_forms(definition.forms, [(d.key, d.forms) for d in called])
        bundle = parsing.build_bundle(definition.key, documents, forms)
        cached = CachedDefinition(bundle, forms)
        with self._lock:
            self._items[cache_key] = cached
        return cached

    def bind(
        self, session: Session, definition_id: uuid.UUID, bindings: Bindings | None = None
    ) -> tuple[CachedDefinition, Bindings]:
        """The specs an instance runs with: `bindings` kept, and each called process still
        missing bound to its latest version now (one still not deployed stays missing: a call
        to it fails with an incident)."""
        bindings = dict(bindings or {})
        cached = self.get(session, definition_id, bindings)
        while True:
            found = {}
            for key in cached.bundle.missing:
                latest = latest_definition(session, key) if key not in bindings else None
                if latest is not None:
                    found[key] = str(latest.id)
            if not found:  # a bound process may call one more that is missing: bound in turn
                return cached, bindings
            bindings.update(found)
            cached = self.get(session, definition_id, bindings)


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    """The highest deployed version of process `key`, if any."""
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def called_definitions(
    session: Session, definition: ProcessDefinition, bindings: Bindings | None = None
) -> list[ProcessDefinition]:
    """Every definition `definition` calls, directly or not, at the versions pinned at deploy,
    and those bound late (each with what it pins)."""
    direct = [uuid.UUID(d) for d in [*definition.dependencies.values(), *(bindings or {}).values()]]
    return _pinned_closure(session, direct, {definition.id})


def pinned_closure(
    session: Session, definition_ids: Iterable[uuid.UUID]
) -> list[ProcessDefinition]:
    """These definitions and every definition they call, at their pinned versions, each once."""
    return _pinned_closure(session, list(definition_ids), set())


def _pinned_closure(
    session: Session, pending: list[uuid.UUID], seen: set[uuid.UUID]
) -> list[ProcessDefinition]:
    found: list[ProcessDefinition] = []
    while pending:
        dep_id = pending.pop()
        if dep_id in seen:
            continue
        seen.add(dep_id)
        dep = session.get(ProcessDefinition, dep_id)
        if dep is None:
            continue
        found.append(dep)
        pending.extend(uuid.UUID(d) for d in dep.dependencies.values())
    return found


@dataclass(frozen=True)
class Warm:
    """A workflow kept warm, and what the step that left it found waiting in it (`before`: the
    next step's starting point, so that a load need not walk the tree for it; None: unknown).

    A step also leaves its instance row's values as it committed them (`row`, without the
    state) and the `tasks` rows of ready tasks it knows as they were written: a completion of
    one of them then needs no read (`WorkflowCache.holding`); its write checks that the row and
    the task are still so (app.engine.persist)."""

    workflow: Any
    before: Any = None
    row: dict[str, Any] | None = None
    tasks: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


class WorkflowCache:
    """Loaded workflows kept warm per process, valid only for the instance's lock version.

    Ready tasks whose rows a kept workflow knows are indexed by id (`holding`)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[uuid.UUID, tuple[int, Warm]] = OrderedDict()
        self._by_task: dict[uuid.UUID, uuid.UUID] = {}
        self._lock = threading.Lock()

    def take(self, instance_id: uuid.UUID, lock_version: int) -> Warm | None:
        """Remove and return the workflow if it is current; the caller then owns it."""
        with self._lock:
            item = self._pop(instance_id)
        if item is None or item[0] != lock_version:
            return None
        return item[1]

    def peek(self, instance_id: uuid.UUID) -> Warm | None:
        """The workflow kept for an instance, left in place (checks and diagnostics only: a
        step must `take` it)."""
        with self._lock:
            item = self._items.get(instance_id)
        return None if item is None else item[1]

    def holding(self, task_id: uuid.UUID) -> Warm | None:
        """The kept workflow whose known ready tasks include `task_id`, left in place (a step
        must `take` it); None when none does."""
        with self._lock:
            instance_id = self._by_task.get(task_id)
            item = None if instance_id is None else self._items.get(instance_id)
        return None if item is None else item[1]

    def put(
        self,
        instance_id: uuid.UUID,
        lock_version: int,
        workflow: Any,
        before: Any = None,
        *,
        row: dict[str, Any] | None = None,
        tasks: dict[uuid.UUID, dict[str, Any]] | None = None,
    ) -> None:
        if self._size == 0:
            return
        warm = Warm(workflow, before, row, tasks or {})
        with self._lock:
            self._pop(instance_id)
            self._items[instance_id] = (lock_version, warm)
            for task_id in warm.tasks:
                self._by_task[task_id] = instance_id
            while len(self._items) > self._size:
                self._pop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._by_task.clear()

    def _pop(self, instance_id: uuid.UUID) -> tuple[int, Warm] | None:
        """Remove an item and its tasks from the index (the lock held)."""
        item = self._items.pop(instance_id, None)
        if item is not None:
            for task_id in item[1].tasks:
                if self._by_task.get(task_id) == instance_id:
                    del self._by_task[task_id]
        return item
