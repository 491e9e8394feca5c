"""REST routes of notifications: the contact directory, the messages, and a retry.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.engine import EngineDep, SessionDep, run
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.notifications import contacts, listings, use_cases
from app.notifications.schemas import (
    ContactAdminIn,
    ContactIn,
    ContactOut,
    NotificationOut,
    Status,
)
from app.notifications.worker import planner
from app.supervision import queries as matter_queries
from app.supervision.models import Matter

contacts_router = Router(prefix="/api/v1", tags=["notifications"], responses=ERRORS)
router = Router(prefix="/api/v1", tags=["notifications"], responses=ERRORS)
routers: list[Router] = [contacts_router, router]

Reader = Annotated[Principal, Depends(permission("notifications.read"))]
Manager = Annotated[Principal, Depends(permission("notifications.manage"))]
Anyone = Annotated[Principal, Depends(permission("matters.read"))]  # every person signed in
Retrier = Annotated[Principal, Depends(permission("matters.decide"))]  # the office or an admin


def readable_matter(matter_id: uuid.UUID, s: SessionDep, principal: Reader) -> Matter:
    """The matter of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    return matter_queries.readable_matter(s, principal, matter_id)


ReadableMatter = Annotated[Matter, Depends(readable_matter)]


@contacts_router.get("/me/contact", response_model=ContactOut)
def my_contact(s: SessionDep, principal: Anyone) -> ContactOut:
    """Your own contact: where your notifications go (404 until you set one)."""
    return ContactOut.model_validate(contacts.get(s, principal.sub))


@contacts_router.put("/me/contact", response_model=ContactOut)
def put_my_contact(body: ContactIn, engine: EngineDep, principal: Anyone) -> ContactOut:
    """Set your e-mail, IM id, channels and quiet hours; unit and roles come from your token."""
    return run(engine, use_cases.save_my_contact, actor=principal, body=body)


@contacts_router.get("/contacts", response_model=Page[ContactOut])
def list_contacts(
    s: SessionDep,
    principal: Reader,
    unit: Text | None = None,
    role: Text | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ContactOut]:
    """Contacts of the units in your scope, by unit and name."""
    return listings.contacts_page(s, principal, unit=unit, role=role, limit=limit, offset=offset)


@contacts_router.put("/contacts/{sub}", response_model=ContactOut)
def put_contact(
    sub: Text, body: ContactAdminIn, engine: EngineDep, principal: Manager
) -> ContactOut:
    """Keep someone's contact (an administrator): unit, roles, addresses, channels, quiet hours."""
    return run(engine, use_cases.save_contact, actor=principal, sub=sub, body=body)


@contacts_router.delete("/contacts/{sub}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(sub: Text, engine: EngineDep, principal: Manager) -> Response:
    """Remove a contact (messages already sent keep the address they went to)."""
    run(engine, use_cases.delete_contact, actor=principal, sub=sub)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    s: SessionDep,
    principal: Reader,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    unit: Text | None = None,
    matter_id: uuid.UUID | None = None,
    rectification_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[NotificationOut]:
    """Messages about, or to, units in your scope, newest first."""
    return listings.notifications_page(
        s,
        principal,
        status=status_,
        unit=unit,
        matter_id=matter_id,
        rectification_id=rectification_id,
        limit=limit,
        offset=offset,
    )


@router.get("/matters/{matter_id}/notifications", response_model=list[NotificationOut])
def matter_notifications(
    matter: ReadableMatter, s: SessionDep, principal: Reader
) -> list[NotificationOut]:
    """Every message about a matter, oldest first: proof that a unit was told, and when."""
    return listings.about_matter(s, principal, matter)


@router.post("/notifications/{notification_id}/retry", response_model=list[NotificationOut])
def retry_notification(
    notification_id: uuid.UUID, request: Request, engine: EngineDep, principal: Retrier
) -> list[NotificationOut]:
    """Send a failed message again (now); one that reached nobody looks for contacts again."""
    return run(
        engine,
        use_cases.retry_notification,
        actor=principal,
        notification_id=notification_id,
        planner=planner(request.app.state.settings),
    )
