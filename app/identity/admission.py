"""A caller's unit must be in the unit tree: 401 `unknown_unit` otherwise, or — where an SSO
deployment allows it (settings.auth_auto_create_units) — the unit is created on first sign-in."""

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import Database
from app.identity import audit
from app.identity.principal import Principal
from app.kit.errors import DomainError, InvalidData
from app.org import service as units


class UnknownUnit(DomainError):
    status, code = 401, "unknown_unit"


async def admit(request: Request, principal: Principal) -> None:
    """401 unless the caller's unit exists (or may be, and now is, created).

    The unit-tree cache answers most requests without a query; a miss is looked up in the
    thread pool, never on the event loop."""
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    known = units.known_in_cache(db.sessions.kw.get("info") or {}, principal.unit)
    if known is True:
        return
    if known is None or settings.auth_auto_create_units:
        known = await run_in_threadpool(_admit, db, settings, principal)
    if not known:
        raise UnknownUnit(
            f"your unit '{principal.unit}' is not in the unit tree (ask an administrator to add "
            "it)",
            unit=principal.unit,
        )


def _admit(db: Database, settings: Settings, principal: Principal) -> bool:
    with db.session() as s:
        if units.path_of(s, principal.unit) is not None:
            return True
    if not settings.auth_auto_create_units:
        return False

    def work(s: Session) -> None:
        if units.path_of(s, principal.unit) is not None:
            return
        unit = units.auto_create(s, principal.unit, settings.auth_auto_create_parent)
        audit.record(
            s,
            principal,
            "unit.auto_create",
            object_type="unit",
            object_id=unit.code,
            unit_code=unit.code,
            data={"parent_code": unit.parent_code, "kind": unit.kind, "level": unit.level},
        )

    try:
        db.transaction(work)
    except IntegrityError:  # another request created it at the same moment
        with db.session() as s:
            return units.path_of(s, principal.unit) is not None
    except InvalidData as exc:
        raise UnknownUnit(
            f"your unit '{principal.unit[:64]}' is not in the unit tree and cannot be created: "
            f"{exc.detail}",
            unit=principal.unit,
        ) from exc
    return True
