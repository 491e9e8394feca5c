"""What identity's read routes answer: who the caller is, and the audit trail as they may see it."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity import subjects
from app.identity.actions import action_names
from app.identity.models import AuditRecord
from app.identity.policy import PERMISSIONS, allowed, scope_of, sees_contact
from app.identity.principal import Principal
from app.identity.schemas import AuditChange, AuditMatter, AuditOut, MeOut
from app.kit.paging import page_rows
from app.kit.shared import Page
from app.partitions import planned_once

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
    cursor: str | None = None,
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
    with planned_once(s):
        found = page_rows(s, query, AuditRecord.id.desc(), limit, offset, cursor)
    rows = found.rows
    resolved = subjects.resolve(s, rows)
    items = [readable(AuditOut.model_validate(r), resolved.get(r.id, {})) for r in rows]
    return found.page([shown(s, principal, item) for item in items], limit, offset)


def readable(row: AuditOut, resolved: dict[str, Any]) -> AuditOut:
    """The row with what an official reads: the action's label, the matter and step concerned,
    and the fields changed before → after."""
    return row.model_copy(
        update={
            "action_names": action_names(row.action),
            "matter": AuditMatter(**resolved["matter"]) if resolved.get("matter") else None,
            "step_names": resolved.get("step_names"),
            "changes": changes_of(row.data),
        }
    )


def changes_of(data: Any) -> list[AuditChange]:
    """Before → after per field: a change list (`changes`: name, before, after) or a pair of
    objects (`before`, `after`)."""
    if not isinstance(data, dict):
        return []
    listed = data.get("changes")
    if isinstance(listed, list):
        return [
            AuditChange(field=str(c.get("name")), before=c.get("before"), after=c.get("after"))
            for c in listed
            if isinstance(c, dict) and c.get("name") is not None
        ]
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            AuditChange(field=k, before=before.get(k), after=after.get(k))
            for k in dict.fromkeys([*before, *after])
            if before.get(k) != after.get(k)
        ]
    return []


def shown(s: Session, principal: Principal, row: AuditOut) -> AuditOut:
    """A contact change as the caller may see it: the addresses withheld (null) unless
    policy.sees_contact. The row's hash still covers what was stored (verify walks the table)."""
    if row.object_type != "contact" or not isinstance(row.data, dict):
        return row
    if sees_contact(s, principal, sub=row.object_id, unit_code=row.unit_code):
        return row
    data = {k: (None if k in CONTACT_FIELDS else v) for k, v in row.data.items()}
    return row.model_copy(update={"data": {**data, "redacted": True}})
