"""REST routes: who am I, the audit trail and its verification."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.identity import audit
from app.identity.models import AuditRecord
from app.identity.policy import (
    PERMISSIONS,
    allowed,
    current_principal,
    permission,
    scope_of,
    sees_contact,
)
from app.identity.principal import Principal
from app.identity.schemas import AuditOut, MeOut, VerificationOut
from app.kit.bounds import Instant, Limit, Offset, Text
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1", tags=["identity"], responses=ERRORS)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]


@router.get("/me", response_model=MeOut)
def me(db: DbDep, principal: Annotated[Principal, Depends(current_principal)]) -> MeOut:
    """The authenticated caller, their scope and the actions their roles allow."""
    with db.session() as s:
        scope = scope_of(s, principal)
    return MeOut(
        sub=principal.sub,
        name=principal.name,
        unit=principal.unit,
        roles=sorted(principal.roles),
        scope_everything=scope.everything,
        scope_subtrees=list(scope.subtrees),
        permissions=[a for a in PERMISSIONS if allowed(principal, a)],
    )


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(
    db: DbDep,
    principal: Annotated[Principal, Depends(permission("audit.read"))],
    actor: Text | None = None,
    unit: Text | None = None,
    object_type: Text | None = None,
    object_id: Text | None = None,
    instance_id: Text | None = None,
    action: Text | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """Audit rows in the caller's scope (by the unit each change concerns), newest first."""
    with db.session() as s:
        query = select(AuditRecord).where(scope_of(s, principal).clause(AuditRecord.unit_code))
        filters = {
            AuditRecord.actor_sub: actor,
            AuditRecord.unit_code: unit,
            AuditRecord.object_type: object_type,
            AuditRecord.object_id: object_id,
            AuditRecord.instance_id: instance_id,
            AuditRecord.action: action,
        }
        for column, value in filters.items():
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(AuditRecord.at >= since)
        if until is not None:
            query = query.where(AuditRecord.at < until)
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = s.scalars(query.order_by(AuditRecord.id.desc()).limit(limit).offset(offset))
        return Page(
            items=[_shown(s, principal, AuditOut.model_validate(r)) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


# Contact data in a contact change's submitted data (app.notifications.schemas.ContactIn).
CONTACT_FIELDS = ("email", "im_id")


def _shown(s: Session, principal: Principal, row: AuditOut) -> AuditOut:
    """A contact change as the caller may see it: the addresses withheld (null) unless
    policy.sees_contact. The row's hash still covers what was stored (verify walks the table)."""
    if row.object_type != "contact" or not isinstance(row.data, dict):
        return row
    if sees_contact(s, principal, sub=row.object_id, unit_code=row.unit_code):
        return row
    data = {k: (None if k in CONTACT_FIELDS else v) for k, v in row.data.items()}
    return row.model_copy(update={"data": {**data, "redacted": True}})


@router.get("/audit/verify", response_model=VerificationOut)
def verify_audit(
    db: DbDep, _principal: Annotated[Principal, Depends(permission("audit.read"))]
) -> VerificationOut:
    """Walk the whole hash chain: any edited or deleted row is reported."""
    with db.session() as s:
        result = audit.verify(s)
    return VerificationOut(**result.__dict__)
