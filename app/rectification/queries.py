"""Reading rectifications: what a caller may see, list filters, one rectification in full."""

import uuid
from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from app.engine import TaskOut, TaskRecord
from app.identity.policy import Scope
from app.kit.errors import NotFound
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


def visible(scope: Scope) -> ColumnElement[bool]:
    """Rectifications owned by a unit in scope, or with a part for a unit in scope."""
    if scope.everything:
        return true()
    parts = select(RectificationPart.rectification_id).where(
        scope.clause(RectificationPart.unit_code)
    )
    return or_(scope.clause(Rectification.owner_unit), Rectification.id.in_(parts))


def filtered(
    scope: Scope,
    *,
    status: str | None = None,
    unit: str | None = None,
    light: str | None = None,
    overdue: bool | None = None,
    today: date,
) -> Select[Rectification]:
    """The list query: in scope, then each filter given."""
    query = select(Rectification).where(visible(scope))
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


def get_visible(session: Session, scope: Scope, rectification_id: uuid.UUID) -> Rectification:
    """One rectification the caller may see, or 404."""
    found = session.scalars(
        select(Rectification).where(Rectification.id == rectification_id, visible(scope))
    ).first()
    if found is None:
        raise NotFound(f"rectification {rectification_id} not found")
    return found


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
        ready_tasks=[TaskOut.model_validate(t) for t in tasks],
        history=[EventOut.model_validate(e) for e in history],
    )
