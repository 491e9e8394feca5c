"""Append to the audit chain (in the transaction of the change) and verify it."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.clock import clock
from app.identity.models import AuditRecord
from app.identity.principal import Principal

GENESIS = "0" * 64
# Appends are serialised so that each row's predecessor is the previous committed row.
_CHAIN_LOCK = 0x_A0D17


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: str | None,
    instance_id: str | None = None,
    unit_code: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one row, chained to the last; call it last in the transaction it describes."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    previous = session.scalar(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    row = AuditRecord(
        at=clock.now(),
        actor_sub=principal.sub,
        actor_name=principal.name,
        actor_unit=principal.unit,
        actor_roles=sorted(principal.roles),
        address=principal.address,
        action=action,
        object_type=object_type,
        object_id=object_id,
        instance_id=instance_id,
        unit_code=unit_code or principal.unit,
        data=canonical(data) if data is not None else None,
        prev_hash=previous or GENESIS,
    )
    row.hash = digest(row)
    session.add(row)
    session.flush()
    return row


def digest(row: AuditRecord) -> str:
    """SHA-256 over the row's content and its predecessor's hash."""
    content = {
        "at": row.at.isoformat(timespec="microseconds"),
        "actor": [row.actor_sub, row.actor_name, row.actor_unit, sorted(row.actor_roles)],
        "address": row.address,
        "what": [row.action, row.object_type, row.object_id, row.instance_id, row.unit_code],
        "data": row.data,
        "prev": row.prev_hash,
    }
    return hashlib.sha256(canonical(content).encode()).hexdigest()


@dataclass
class Verification:
    """The result of walking the chain: ok, or the first row that breaks it and why."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None


def verify(session: Session) -> Verification:
    """Walk the whole chain in order; any edited, deleted or inserted row breaks it."""
    previous = GENESIS
    checked = 0
    for row in session.scalars(
        select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=1000)
    ):
        if row.prev_hash != previous:
            return Verification(False, checked, row.id, "the previous row was changed or removed")
        if digest(row) != row.hash:
            return Verification(False, checked, row.id, "the row's content was changed")
        previous = row.hash
        checked += 1
    return Verification(True, checked)


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
