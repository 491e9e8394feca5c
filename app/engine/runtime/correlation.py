"""Who receives a message or a signal (关联): the waiting instances a sender may reach, and the
deployed processes a message or signal starts. Queries only; delivering is the service's."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.engine.persist.models import MessageSubscription, ProcessDefinition, ProcessInstance
from app.engine.runtime import events, suspension
from app.engine.runtime.caches import SpecCache
from app.kit.errors import AmbiguousCorrelation


@dataclass(frozen=True)
class Correlation:
    """What a message is addressed to: all given criteria must hold (`all`: every match)."""

    correlation_key: str | None = None
    instance_id: uuid.UUID | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    all: bool = False

    @property
    def targets_instances(self) -> bool:
        """Addressed to existing instances only (by id or variables): it starts none."""
        return self.instance_id is not None or bool(self.variables)


def message_receivers(
    session: Session, name: str, correlation: Correlation, visible: Select[Any] | None
) -> list[uuid.UUID]:
    """The running instances waiting for message `name` that `correlation` picks, oldest
    subscription first; more than one without `all` is 409 naming them (one message, one
    receiver: the sender must say which, or say all)."""
    query = select(MessageSubscription.instance_id).where(
        MessageSubscription.message_name == name,
        MessageSubscription.element_id.not_like(f"{events.SIGNAL_PREFIX}%"),
    )
    if correlation.correlation_key is not None:
        query = query.where(MessageSubscription.correlation_key == correlation.correlation_key)
    elif not correlation.targets_instances and not correlation.all:
        # No criterion reaches only instances without a business key: never a broadcast by
        # omission (`all` with no criterion is the explicit broadcast).
        query = query.where(MessageSubscription.correlation_key.is_(None))
    if correlation.instance_id is not None:
        query = query.where(MessageSubscription.instance_id == correlation.instance_id)
    if visible is not None:
        query = query.where(MessageSubscription.instance_id.in_(visible))
    ids = list(dict.fromkeys(session.scalars(query.order_by(MessageSubscription.id))))
    ids = _running_with(session, ids, correlation.variables)
    if len(ids) > 1 and not correlation.all:
        raise AmbiguousCorrelation(
            f"message '{name}' correlates with {len(ids)} waiting instances: name one "
            "(process_instance_id, correlation_variables) or send it to all (all: true)",
            errors=[{"field": "process_instance_id", "message": str(i)} for i in ids],
        )
    return ids


def _running_with(
    session: Session, ids: list[uuid.UUID], variables: dict[str, Any]
) -> list[uuid.UUID]:
    """Those of `ids` that run and whose variables hold each of `variables` (equality)."""
    if not ids:
        return []
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.variables).where(
            ProcessInstance.id.in_(ids), ProcessInstance.status == "running"
        )
    )
    matching = {
        row.id
        for row in rows
        if all((row.variables or {}).get(k, _ABSENT) == v for k, v in variables.items())
    }
    return [i for i in ids if i in matching]


_ABSENT = object()


def signal_receivers(
    session: Session,
    name: str,
    visible: Select[Any] | None,
    *,
    besides: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """The running instances with a catcher waiting for signal `name` (in `visible`, except
    `besides`), oldest subscription first."""
    query = select(MessageSubscription.instance_id).where(
        MessageSubscription.message_name == name,
        MessageSubscription.element_id.like(f"{events.SIGNAL_PREFIX}%"),
    )
    if visible is not None:
        query = query.where(MessageSubscription.instance_id.in_(visible))
    if besides is not None:
        query = query.where(MessageSubscription.instance_id != besides)
    ids = list(dict.fromkeys(session.scalars(query.order_by(MessageSubscription.id))))
    return _running_with(session, ids, {})


def owned_by(unit_code: str | None) -> Select[Any]:
    """Ids of the instances a unit owns: the reach of a signal thrown by one of them."""
    owner = (
        ProcessInstance.unit_code.is_(None)
        if unit_code is None
        else ProcessInstance.unit_code == unit_code
    )
    return select(ProcessInstance.id).where(owner)


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    """The latest version of every deployed process."""
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    return list(
        session.scalars(
            select(ProcessDefinition)
            .join(
                newest,
                (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v),
            )
            .order_by(ProcessDefinition.key)
        )
    )


def message_start_definitions(session: Session, name: str) -> list[ProcessDefinition]:
    """Latest deployed processes that message `name` starts (a suspended latest version is
    skipped, not replaced by an older one)."""
    latest = suspension.startable(latest_definitions(session))
    return [d for d in latest if name in (d.message_starts or [])]


def signal_start_definitions(
    session: Session, specs: SpecCache, name: str
) -> list[ProcessDefinition]:
    """Latest deployed processes that signal `name` starts (read from their cached specs; a
    suspended latest version is skipped)."""
    return [
        d
        for d in suspension.startable(latest_definitions(session))
        if name in events.signal_starts(specs.get(session, d.id).bundle.spec)
    ]
