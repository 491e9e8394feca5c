"""REST routes of notifications: the contact directory, the messages, and a retry."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.db import Database
from app.identity import audit
from app.identity.policy import Forbidden, permission, require_control, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.notifications import contacts, queries, retry
from app.notifications.models import Contact, Notification
from app.notifications.schemas import (
    ContactAdminIn,
    ContactIn,
    ContactOut,
    NotificationOut,
    Status,
)
from app.notifications.worker import planner
from app.rectification.models import Rectification
from app.supervision import queries as matter_queries
from app.supervision.models import Matter

contacts_router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=ERRORS)
router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=ERRORS)
routers: list[APIRouter] = [contacts_router, router]

Reader = Annotated[Principal, Depends(permission("notifications.read"))]
Manager = Annotated[Principal, Depends(permission("notifications.manage"))]
Anyone = Annotated[Principal, Depends(permission("matters.read"))]  # every person signed in
Retrier = Annotated[Principal, Depends(permission("matters.decide"))]  # the office or an admin


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


@contacts_router.get("/me/contact", response_model=ContactOut)
def my_contact(db: DbDep, principal: Anyone) -> ContactOut:
    """Your own contact: where your notifications go (404 until you set one)."""
    with db.session() as s:
        return ContactOut.model_validate(contacts.get(s, principal.sub))


@contacts_router.put("/me/contact", response_model=ContactOut)
def put_my_contact(body: ContactIn, db: DbDep, principal: Anyone) -> ContactOut:
    """Set your e-mail, IM id, channels and quiet hours; unit and roles come from your token."""

    def work(s: Session) -> ContactOut:
        contact = contacts.save(
            s,
            principal.sub,
            body,
            name=principal.name,
            unit=principal.unit,
            roles=sorted(principal.roles),
            by=principal.sub,
        )
        _audit(s, principal, "contact.update", contact.sub, contact.unit_code, body.model_dump())
        return ContactOut.model_validate(contact)

    return db.transaction(work)


@contacts_router.get("/contacts", response_model=Page[ContactOut])
def list_contacts(
    db: DbDep,
    principal: Reader,
    unit: Text | None = None,
    role: Text | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ContactOut]:
    """Contacts of the units in your scope, by unit and name."""
    with db.session() as s:
        query = queries.readable_contacts(s, principal)
        if unit:
            query = query.where(Contact.unit_code == unit)
        rows = s.scalars(query.order_by(Contact.unit_code, Contact.name, Contact.sub))
        # Roles are a JSON list: a unit has few contacts, so they are filtered here.
        items = [
            contacts.shown_contact(s, principal, c) for c in rows if role is None or role in c.roles
        ]
        return Page(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )


@contacts_router.put("/contacts/{sub}", response_model=ContactOut)
def put_contact(sub: Text, body: ContactAdminIn, db: DbDep, principal: Manager) -> ContactOut:
    """Keep someone's contact (an administrator): unit, roles, addresses, channels, quiet hours."""

    def work(s: Session) -> ContactOut:
        _in_scope(s, principal, body.unit_code)
        existing = s.get(Contact, sub)
        if existing is not None:
            _in_scope(s, principal, existing.unit_code)
        contact = contacts.save_by_admin(s, sub, body, by=principal.sub)
        _audit(s, principal, "contact.update", sub, contact.unit_code, body.model_dump())
        return ContactOut.model_validate(contact)

    return db.transaction(work)


@contacts_router.delete("/contacts/{sub}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(sub: Text, db: DbDep, principal: Manager) -> Response:
    """Remove a contact (messages already sent keep the address they went to)."""

    def work(s: Session) -> None:
        contact = contacts.get(s, sub)
        _in_scope(s, principal, contact.unit_code)
        s.delete(contact)
        _audit(s, principal, "contact.delete", sub, contact.unit_code, {})

    db.transaction(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    db: DbDep,
    principal: Reader,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    unit: Text | None = None,
    matter_id: uuid.UUID | None = None,
    rectification_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[NotificationOut]:
    """Messages about, or to, units in your scope, newest first."""
    with db.session() as s:
        query = queries.readable_notifications(s, principal)
        if status_ is not None:
            query = query.where(Notification.status == status_)
        if unit:
            query = query.where(
                or_(Notification.unit_code == unit, Notification.recipient_unit == unit)
            )
        if matter_id is not None:
            query = query.where(Notification.matter_id == matter_id)
        if rectification_id is not None:
            query = query.where(Notification.rectification_id == rectification_id)
        order = Notification.created_at.desc()
        result: Page[NotificationOut] = page(s, query, order, NotificationOut, limit, offset)
        shown = [contacts.shown_notification(s, principal, n) for n in result.items]
        return result.model_copy(update={"items": shown})


@router.get("/matters/{matter_id}/notifications", response_model=list[NotificationOut])
def matter_notifications(
    matter_id: uuid.UUID, db: DbDep, principal: Reader
) -> list[NotificationOut]:
    """Every message about a matter, oldest first: proof that a unit was told, and when."""
    with db.session() as s:
        matter_queries.readable_matter(s, principal, matter_id)
        rows = s.scalars(
            select(Notification)
            .where(Notification.matter_id == matter_id)
            .order_by(Notification.created_at, Notification.id)
        )
        return [contacts.shown_notification(s, principal, r) for r in rows]


@router.post("/notifications/{notification_id}/retry", response_model=list[NotificationOut])
def retry_notification(
    notification_id: uuid.UUID, request: Request, db: DbDep, principal: Retrier
) -> list[NotificationOut]:
    """Send a failed message again (now); one that reached nobody looks for contacts again."""

    def work(s: Session) -> list[NotificationOut]:
        row = queries.readable_notification(s, principal, notification_id)
        _control_subject(s, principal, row)
        rows = retry.retry(s, row, planner(request.app.state.settings))
        _audit(
            s,
            principal,
            "notification.retry",
            str(row.id),
            row.unit_code,
            {"rows": [str(r.id) for r in rows]},
        )
        return [contacts.shown_notification(s, principal, r) for r in rows]

    return db.transaction(work)


def _control_subject(s: Session, principal: Principal, row: Notification) -> None:
    """Retrying a message is an act on what it is about: the matter's (or rectification's)
    controlling office, or an admin (policy.controls); an involved unit's office only sees it."""
    owner: str | None = row.unit_code
    kind = "notification"
    if row.matter_id is not None:
        owner = s.scalar(select(Matter.owner_unit).where(Matter.id == row.matter_id))
        kind = "matter"
    elif row.rectification_id is not None:
        owner = s.scalar(
            select(Rectification.owner_unit).where(Rectification.id == row.rectification_id)
        )
        kind = "rectification"
    require_control(
        s,
        principal,
        "notifications.retry",
        object_type=kind,
        object_id=row.matter_id or row.rectification_id or row.id,
        owner_unit=owner,
    )


def _in_scope(s: Session, principal: Principal, unit: str) -> None:
    if not scope_of(s, principal).contains(s, unit):
        raise Forbidden(f"unit '{unit}' is outside your scope", errors=[{"field": "unit_code"}])


def _audit(
    s: Session, principal: Principal, action: str, object_id: str, unit: str, data: dict[str, Any]
) -> None:
    audit.record(
        s,
        principal,
        action,
        object_type="notification" if action.startswith("notification") else "contact",
        object_id=object_id,
        unit_code=unit,
        data=_jsonable(data),
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
