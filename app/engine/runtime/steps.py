"""Step handlers: what a diagram's domain markers mean, registered by the domains, one dispatcher.

A diagram marks the elements a domain cares about with extension properties (`matterStep`,
`matterEvent`, `planStep`, ...): the *markers*. Each domain registers, at start-up, a `Domain`:
the marker properties it reads, the processes it records, and a handler per `(property, value)`;
hooks run before and after its handlers on every step it records. The engine calls `dispatch`
once per step, inside the step's transaction: domains in registration order; within a domain,
the hooks before, then the completed elements in the order they completed (the first marker
property of the domain's list that an element carries picks the handler), then the hooks after.
A handler that raises rolls the whole step back.

Deploy asks `unknown` which markers of a diagram no handler knows, and refuses them (422).
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

if TYPE_CHECKING:  # the runtime imports this module: types only, no import circle
    from app.engine.runtime.engine import CompletedElement, Engine, StepEvents


@dataclass
class StepContext:
    """What a handler gets besides its element: the step's session, what the step did, the
    engine (handlers whose records start other processes) and a memo private to its domain."""

    session: Session
    events: "StepEvents"
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def engine(self) -> "Engine":
        return self.events.engine

    @property
    def actor(self) -> str | None:
        return self.events.actor

    def row(self, model: type[T], key: object) -> T | None:
        """The `model` row whose id is `key` (a UUID or its text; none: None), loaded once per
        step: every handler of the step sees the same object."""
        if not key:
            return None
        ident = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
        rows: dict[Any, Any] = self.memo.setdefault(("rows", model), {})
        if ident not in rows:
            rows[ident] = self.session.get(model, ident)
        return rows[ident]

    def rows(self, model: type[T]) -> list[T]:
        """The `model` rows this step's handlers loaded with `row` (for the hooks after them)."""
        loaded: dict[Any, Any] = self.memo.get(("rows", model), {})
        return [row for row in loaded.values() if row is not None]


ElementHandler = Callable[[StepContext, "CompletedElement"], None]
StepHook = Callable[[StepContext], None]


@dataclass
class Domain:
    """One domain's step handlers: the markers it reads and what each value means."""

    name: str
    properties: tuple[str, ...]  # the marker properties, in the order an element is read
    processes: frozenset[str] | None = None  # the process keys it records; None: every process
    handlers: dict[tuple[str, str], ElementHandler] = field(default_factory=dict)
    before: list[StepHook] = field(default_factory=list)
    after: list[StepHook] = field(default_factory=list)

    def on(self, prop: str, value: str, handler: ElementHandler) -> None:
        """Register what `prop="value"` on a completed element means."""
        if prop not in self.properties:
            raise ValueError(f"{self.name} does not read the marker {prop}")
        if (prop, value) in self.handlers:
            raise ValueError(f"{self.name} already handles {prop}={value!r}")
        self.handlers[(prop, value)] = handler

    def records(self, process_key: str) -> bool:
        return self.processes is None or process_key in self.processes

    def handler_of(self, element: "CompletedElement") -> ElementHandler | None:
        for prop in self.properties:
            value = element.properties.get(prop)
            if value:
                return self.handlers.get((prop, value))
        return None


@dataclass
class StepRegistry:
    """Every domain's step handlers, in the order they run."""

    domains: list[Domain] = field(default_factory=list)

    def domain(
        self, name: str, properties: Iterable[str], processes: Iterable[str] | None = None
    ) -> Domain:
        """A new domain, run after those registered before it."""
        keys = frozenset(processes) if processes is not None else None
        added = Domain(name, tuple(properties), keys)
        self.domains.append(added)
        return added

    def every_step(self, name: str, hook: StepHook) -> None:
        """A hook run on every step of every process (e.g. the engine-events recorder)."""
        self.domain(name, ()).before.append(hook)

    @property
    def markers(self) -> frozenset[str]:
        """The property names that domains read: a value of one must have a handler."""
        return frozenset(p for d in self.domains for p in d.properties)

    @property
    def handled(self) -> frozenset[tuple[str, str]]:
        """Every `(property, value)` some domain handles."""
        return frozenset(k for d in self.domains for k in d.handlers)

    def unknown(self, properties: dict[str, dict[str, str]]) -> list[dict[str, str | None]]:
        """The markers (by element id) that no handler knows, as deploy's 422 errors."""
        markers, handled = self.markers, self.handled
        return [
            {
                "element_id": element_id,
                "message": f"{prop}={value!r}: no step handler knows this marker",
            }
            for element_id, props in sorted(properties.items())
            for prop, value in sorted(props.items())
            if prop in markers and (prop, value) not in handled
        ]

    def dispatch(self, session: Session, events: "StepEvents") -> None:
        """Run every domain's handlers for one step (inside the step's transaction)."""
        key = events.instance.process_key
        for domain in self.domains:
            if not domain.records(key):
                continue
            context = StepContext(session, events)
            for hook in domain.before:
                hook(context)
            for element in events.completed:
                handler = domain.handler_of(element)
                if handler is not None:
                    handler(context, element)
            for hook in domain.after:
                hook(context)
