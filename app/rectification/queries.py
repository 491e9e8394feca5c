"""Reading rectifications: what a caller may see, list filters, one rectification in full."""

import uuid
from datetime import date

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.engine import TaskRecord, task_outs
from app.identity import readable as base
from app.identity.policy import Scope
from app.org.models import Unit
from app.rectification.models import (
    Rectification,
    RectificationEvent,
    RectificationPart,
    RectificationUrging,
)
from app.rectification.schemas import (
    EventOut,
    PartOut,
    RectificationDetail,
    RectificationOut,
    UrgingOut,
)


def readable_clause(scope: Scope) -> ColumnElement[bool]:
    """Rectifications owned by a unit in scope, or with a part for a unit in scope."""
    return base.any_unit(scope, Rectification.owner_unit) | base.linked(
        scope, Rectification.id, RectificationPart.rectification_id, RectificationPart.unit_code
    )


def readable(session: Session, who: base.Who) -> Select[Rectification]:
    """The rectifications `who` may read."""
    return select(Rectification).where(readable_clause(base.scope(session, who)))


def readable_rectification(
    session: Session, who: base.Who, rectification_id: uuid.UUID
) -> Rectification:
    """One rectification `who` may read, or 404."""
    statement = readable(session, who).where(Rectification.id == rectification_id)
    return base.one(session, statement, "rectification", rectification_id)


def filtered(
    session: Session,
    who: base.Who,
    *,
    status: str | None = None,
    unit: str | None = None,
    light: str | None = None,
    overdue: bool | None = None,
    today: date,
) -> Select[Rectification]:
    """The list query (and the ledger's): the readable rectifications, then each filter given."""
    query = readable(session, who)
    if status is not None:
        query = query.where(Rectification.status == status)
    if light is not None:
        query = query.where(Rectification.light == light)
    if unit:
        below = select(Unit.code).where(Unit.path.contains(f"{unit}/", autoescape=True))
        query = query.where(
            Rectification.id.in_(
                select(RectificationPart.rectification_id).where(
                    RectificationPart.unit_code.in_(below)
                )
            )
        )
    if overdue is not None:
        late = select(RectificationPart.rectification_id).where(
            RectificationPart.status != "accepted",
            RectificationPart.done_on.is_(None),
            RectificationPart.due < today,
        )
        condition = Rectification.id.in_(late)
        query = query.where(condition if overdue else ~condition)
    return query


def detail(session: Session, rectification: Rectification) -> RectificationDetail:
    """Parts with their urgings, the ready tasks and the history."""
    parts = list(
        session.scalars(
            select(RectificationPart)
            .where(RectificationPart.rectification_id == rectification.id)
            .order_by(RectificationPart.unit_code)
        )
    )
    urgings = list(
        session.scalars(
            select(RectificationUrging)
            .where(RectificationUrging.rectification_id == rectification.id)
            .order_by(RectificationUrging.at)
        )
    )
    history = session.scalars(
        select(RectificationEvent)
        .where(RectificationEvent.rectification_id == rectification.id)
        .order_by(RectificationEvent.id)
    )
    tasks: list[TaskRecord] = []
    if rectification.instance_id is not None:
        tasks = list(
            session.scalars(
                select(TaskRecord)
                .where(
                    TaskRecord.instance_id == rectification.instance_id,
                    TaskRecord.state == "ready",
                )
                .order_by(TaskRecord.created_at)
            )
        )
    return RectificationDetail(
        **RectificationOut.model_validate(rectification).model_dump(),
        parts=[
            PartOut.model_validate(p).model_copy(
                update={
                    "urgings": [UrgingOut.model_validate(u) for u in urgings if u.part_id == p.id]
                }
            )
            for p in parts
        ],
        ready_tasks=task_outs(session, tasks),
        history=[EventOut.model_validate(e) for e in history],
    )
