"""What identity's read routes answer: who the caller is, and the audit trail as they may see it."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.identity.models import AuditRecord
from app.identity.policy import PERMISSIONS, allowed, scope_of, sees_contact
from app.identity.principal import Principal
from app.identity.schemas import AuditOut, MeOut
from app.kit.shared import Page

# Contact data in a contact change's submitted data (app.notifications.schemas.ContactIn).
CONTACT_FIELDS = ("email", "im_id")


def me(s: Session, principal: Principal) -> MeOut:
    """The caller, their scope and the actions their roles allow."""
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


def audit_page(
    s: Session,
    principal: Principal,
    *,
    actor: str | None,
    unit: str | None,
    object_type: str | None,
    object_id: str | None,
    instance_id: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> Page[AuditOut]:
    """Audit rows in the caller's scope (by the unit each change concerns), newest first, with
    each filter given."""
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
        items=[shown(s, principal, AuditOut.model_validate(r)) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def shown(s: Session, principal: Principal, row: AuditOut) -> AuditOut:
    """A contact change as the caller may see it: the addresses withheld (null) unless
    policy.sees_contact. The row's hash still covers what was stored (verify walks the table)."""
    if row.object_type != "contact" or not isinstance(row.data, dict):
        return row
    if sees_contact(s, principal, sub=row.object_id, unit_code=row.unit_code):
        return row
    data = {k: (None if k in CONTACT_FIELDS else v) for k, v in row.data.items()}
    return row.model_copy(update={"data": {**data, "redacted": True}})
