"""Routes: history across instances — activity instances (Camunda's historic activity
instances) and per-element statistics of a definition version (Cockpit's duration heatmap).

Reads only: they take `SessionDep`, the caller with `history.read`, and answer from the
readable statement of `activity_queries.py` (the instances the caller may read)."""

import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.deps import SessionDep
from app.engine.api import activity_queries as queries
from app.engine.schemas import ElementStatisticsOut, HistoricActivityOut, HistoricActivityState
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import INT32_MAX, Instant, Limit, Offset, Text
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/history", tags=["history"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("history.read"))]
Version = Annotated[int, Query(ge=1, le=INT32_MAX)]


@router.get("/activity-instances", response_model=Page[HistoricActivityOut])
def list_activity_instances(
    s: SessionDep,
    principal: Reader,
    process_key: Text | None = None,
    version: Version | None = None,
    definition_id: uuid.UUID | None = None,
    element_id: Text | None = None,
    unit: Text | None = None,
    actor: Text | None = None,
    state: HistoricActivityState | None = None,
    process_instance_id: uuid.UUID | None = None,
    started_after: Instant | None = None,
    started_before: Instant | None = None,
    ended_after: Instant | None = None,
    ended_before: Instant | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HistoricActivityOut]:
    """Element instances of the instances you may read, newest first: which element ran
    when, how long, how it ended, who completed it and for which unit. `…_after` bounds are
    inclusive, `…_before` exclusive."""
    query = queries.filtered_activities(
        s,
        principal,
        equal={
            "process_key": process_key,
            "version": version,
            "definition_id": definition_id,
            "element_id": element_id,
            "unit": unit,
            "actor": actor,
            "state": state,
            "instance_id": process_instance_id,
        },
        started_after=started_after,
        started_before=started_before,
        ended_after=ended_after,
        ended_before=ended_before,
    )
    return page(s, query, queries.NEWEST_FIRST, HistoricActivityOut, limit, offset)


@router.get("/element-statistics", response_model=ElementStatisticsOut)
def element_statistics(
    s: SessionDep,
    principal: Reader,
    definition_id: uuid.UUID | None = None,
    process_key: Text | None = None,
    version: Version | None = None,
    unit: Text | None = None,
) -> ElementStatisticsOut:
    """Per element of one definition version (`definition_id`, or `process_key` with
    `version`, the latest by default), over the instances you may read: active, completed and
    cancelled instances, open incidents, and the completed ones' durations in seconds (count,
    mean, p50, p95, max). `unit` keeps the rows of one unit (a human task's unit, else the
    instance's owner; incidents: the owner)."""
    definition = queries.definition_for(
        s, definition_id=definition_id, process_key=process_key, version=version
    )
    return queries.element_statistics(s, principal, definition, unit)
