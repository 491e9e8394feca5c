"""History across instances: who may read which activity instances (those of the instances
they may read, docs/access.md), the history list's filters, and per-element statistics of a
definition version (counts, open incidents, durations: the data of a duration heatmap).

PostgreSQL computes the percentiles in SQL (`percentile_cont`); SQLite, which has none, in
Python over the completed durations, with the same interpolation.
"""

import math
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseList

from app.engine.persist.activity_instances import ACTIVE, CANCELLED, COMPLETED, ActivityInstance
from app.engine.persist.models import Incident, InstanceUnit, ProcessDefinition, ProcessInstance
from app.engine.runtime import deployment
from app.engine.schemas import DurationStats, ElementStatistics, ElementStatisticsOut
from app.identity import readable as base
from app.identity.policy import Scope
from app.kit.errors import InvalidData, NotFound

A = ActivityInstance
NEWEST_FIRST = ClauseList(A.started_at.desc(), A.id.desc())


def readable_clause(scope: Scope, instance_id: Any) -> ColumnElement[bool]:
    """SQL condition: the row's instance (`instance_id` column) is readable."""
    return base.linked(scope, instance_id, InstanceUnit.instance_id, InstanceUnit.unit_code)


def readable_activities(session: Session, who: base.Who) -> Select[ActivityInstance]:
    """The activity instances `who` may read: those of the instances they may read."""
    return select(A).where(readable_clause(base.scope(session, who), A.instance_id))


def filtered_activities(
    session: Session,
    who: base.Who,
    *,
    equal: dict[str, Any],
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    ended_after: datetime | None = None,
    ended_before: datetime | None = None,
) -> Select[ActivityInstance]:
    """The readable activity instances whose columns equal `equal`'s values (None: any) and
    that started / ended within the bounds given (after: inclusive, before: exclusive)."""
    query = readable_activities(session, who)
    for name, value in equal.items():
        if value is not None:
            query = query.where(getattr(A, name) == value)
    bounds = (
        (A.started_at, started_after, started_before),
        (A.ended_at, ended_after, ended_before),
    )
    for column, after, before in bounds:
        if after is not None:
            query = query.where(column >= after)
        if before is not None:
            query = query.where(column < before)
    return query


# --- statistics ----------------------------------------------------------------------------


def definition_for(
    session: Session,
    *,
    definition_id: uuid.UUID | None,
    process_key: str | None,
    version: int | None,
) -> ProcessDefinition:
    """The version the statistics are about: by id, or by key and version (the latest when no
    version is given); 422 naming the field when neither or both are given, 404 when absent."""
    if (definition_id is None) == (process_key is None):
        message = "give definition_id, or process_key (and optionally version)"
        raise InvalidData(message, errors=[{"field": "definition_id", "message": message}])
    if definition_id is not None:
        if version is not None:
            message = "version goes with process_key, not with definition_id"
            raise InvalidData(message, errors=[{"field": "version", "message": message}])
        return deployment.get_definition(session, definition_id)
    assert process_key is not None
    found = _by_key(session, process_key, version)
    if found is None:
        suffix = f" version {version}" if version is not None else ""
        raise NotFound(f"process '{process_key}'{suffix} is not deployed")
    return found


def _by_key(session: Session, key: str, version: int | None) -> ProcessDefinition | None:
    if version is None:
        return deployment.latest_version(session, key)
    query = select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version
    )
    return session.scalars(query).first()


def element_statistics(
    session: Session, who: base.Who, definition: ProcessDefinition, unit: str | None
) -> ElementStatisticsOut:
    """Per element of the version, over the instances `who` may read (and the `unit`'s rows):
    how many are active, completed, cancelled, the open incidents naming it, and the
    durations of the completed ones in seconds (count, mean, p50, p95, max)."""
    scope = base.scope(session, who)
    where = [A.definition_id == definition.id, readable_clause(scope, A.instance_id)]
    if unit is not None:
        where.append(A.unit == unit)
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = session.execute(select(*_aggregates(postgres)).where(*where).group_by(A.element_id))
    percentiles = {} if postgres else _percentiles(session, where)
    incidents = _open_incidents(session, scope, definition, unit)
    elements = {}
    for row in rows:
        p50, p95 = (row.p50, row.p95) if postgres else percentiles.get(row.element_id, (None, None))
        elements[row.element_id] = ElementStatistics(
            element_id=row.element_id,
            element_type=row.element_type,
            element_name=row.element_name,
            active=row.active,
            completed=row.completed,
            cancelled=row.cancelled,
            incidents=incidents.pop(row.element_id, 0),
            duration=_seconds(row.timed, row.mean, p50, p95, row.max),
        )
    for element_id, count in incidents.items():  # failed before any instance of it was recorded
        elements[element_id] = _only_incidents(element_id, count)
    return ElementStatisticsOut(
        definition_id=definition.id,
        process_key=definition.key,
        version=definition.version,
        unit=unit,
        elements=[elements[k] for k in sorted(elements)],
    )


def _aggregates(postgres: bool) -> list[Any]:
    done = A.state == COMPLETED
    duration = case((done, A.duration_ms))  # NULL for the others: aggregates skip them
    columns = [
        A.element_id,
        func.max(A.element_type).label("element_type"),
        func.max(A.element_name).label("element_name"),
        func.count(case((A.state == ACTIVE, 1))).label("active"),
        func.count(case((done, 1))).label("completed"),
        func.count(case((A.state == CANCELLED, 1))).label("cancelled"),
        func.count(duration).label("timed"),
        func.avg(duration).label("mean"),
        func.max(duration).label("max"),
    ]
    if postgres:
        for name, fraction in (("p50", 0.5), ("p95", 0.95)):
            ordered = func.percentile_cont(fraction).within_group(A.duration_ms)
            columns.append(ordered.filter(done).label(name))
    return columns


def _percentiles(
    session: Session, where: list[ColumnElement[bool]]
) -> dict[str, tuple[float, float]]:
    """SQLite: p50 and p95 (milliseconds) of each element's completed durations."""
    query = (
        select(A.element_id, A.duration_ms)
        .where(*where, A.state == COMPLETED, A.duration_ms.is_not(None))
        .order_by(A.element_id, A.duration_ms)
    )
    durations: dict[str, list[int]] = defaultdict(list)
    for element_id, duration in session.execute(query):
        durations[element_id].append(duration or 0)  # never None: the query excludes them
    return {k: (percentile(v, 0.5), percentile(v, 0.95)) for k, v in durations.items()}


def percentile(ordered: list[int], fraction: float) -> float:
    """PostgreSQL's `percentile_cont`: linear interpolation between the closest ranks of a
    sorted, non-empty list."""
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _open_incidents(
    session: Session, scope: Scope, definition: ProcessDefinition, unit: str | None
) -> dict[str, int]:
    """Open incidents per element, of the version's readable instances (owned by `unit`)."""
    query = (
        select(Incident.element_id, func.count())
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(
            ProcessInstance.definition_id == definition.id,
            Incident.resolved_at.is_(None),
            Incident.element_id.is_not(None),
            readable_clause(scope, Incident.instance_id),
        )
        .group_by(Incident.element_id)
    )
    if unit is not None:
        query = query.where(ProcessInstance.unit_code == unit)
    return {element_id or "": count for element_id, count in session.execute(query)}


def _seconds(count: int, mean: Any, p50: Any, p95: Any, maximum: Any) -> DurationStats:
    def s(value: Any) -> float | None:
        return None if value is None else float(value) / 1000

    return DurationStats(count=count, mean=s(mean), p50=s(p50), p95=s(p95), max=s(maximum))


def _only_incidents(element_id: str, count: int) -> ElementStatistics:
    return ElementStatistics(
        element_id=element_id,
        element_type=None,
        element_name=None,
        active=0,
        completed=0,
        cancelled=0,
        incidents=count,
        duration=_seconds(0, None, None, None, None),
    )
