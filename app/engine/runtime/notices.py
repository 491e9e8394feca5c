"""What the engine did outside a step's completions, told to whoever listens.

The engine core imports no domain: it publishes a `Notice` (an instance failed, was cancelled,
suspended or activated, a definition version suspended or activated, an incident raised or
resolved, a task claimed or assigned, an external task created, locked,
completed or failed) inside the transaction that did it, and the packages that record such
things — the event outbox (`app.events.notices`) — listen, as the domains listen to steps
(`Engine.listeners`). A listener that raises fails the transaction, as a step listener does.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import Incident, ProcessInstance, TaskRecord


@dataclass(frozen=True)
class Notice:
    """One thing the engine did: `kind` is the event type integrators know (`task.claimed`, …)."""

    kind: str
    instance: ProcessInstance | None = None
    instance_id: uuid.UUID | None = None
    task: TaskRecord | None = None
    incident: Incident | None = None
    external_task: ExternalTask | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


NoticeListener = Callable[[Session, Notice], None]
_listeners: list[NoticeListener] = []


def listen(listener: NoticeListener) -> None:
    """Hear every notice from now on (once: listening twice changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


def publish(session: Session, notice: Notice) -> None:
    """Tell every listener, in the caller's transaction."""
    for listener in _listeners:
        listener(session, notice)
