"""REST routes: who am I, the audit trail and its verification.

Routes validate, take their dependencies, call one read (`reads.py`) and return a schema.
"""

from typing import Annotated

from fastapi import Depends

from app.deps import SessionDep
from app.identity import audit, reads
from app.identity.actions import ACTIONS, action_names
from app.identity.policy import current_principal, permission
from app.identity.principal import Principal
from app.identity.schemas import AuditActionOut, AuditOut, MeOut, VerificationOut
from app.kit.bounds import Cursor, Instant, Limit, Offset, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1", tags=["identity"], responses=ERRORS)
AuditReader = Annotated[Principal, Depends(permission("audit.read"))]


@router.get("/me", response_model=MeOut)
def me(s: SessionDep, principal: Annotated[Principal, Depends(current_principal)]) -> MeOut:
    """The authenticated caller, their scope and the actions their roles allow."""
    return reads.me(s, principal)


@router.get("/audit", response_model=Page[AuditOut])
def list_audit(
    s: SessionDep,
    principal: AuditReader,
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
    cursor: Cursor = None,
) -> Page[AuditOut]:
    """Audit rows in the caller's scope (by the unit each change concerns), newest first."""
    return reads.audit_page(
        s,
        principal,
        actor=actor,
        unit=unit,
        object_type=object_type,
        object_id=object_id,
        instance_id=instance_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        cursor=cursor,
    )


@router.get("/audit/actions", response_model=list[AuditActionOut])
def audit_actions(_principal: AuditReader) -> list[AuditActionOut]:
    """Every action the audit trail records, with its label per language (the filter's list)."""
    return [AuditActionOut(action=action, names=action_names(action)) for action in sorted(ACTIONS)]


@router.get("/audit/verify", response_model=VerificationOut)
def verify_audit(s: SessionDep, _principal: AuditReader) -> VerificationOut:
    """Walk the whole hash chain: any edited or deleted row is reported."""
    return VerificationOut(**audit.verify(s).__dict__)
