"""Units a plan or proposal names: who approves, who reviews, and whether they may be named."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity.policy import Forbidden, Scope, scope_of
from app.identity.principal import Principal
from app.kit.errors import InvalidData
from app.org import service as org
from app.org.models import Unit

SUPERVISION_OFFICE = "supervision_office"


def government_of(session: Session, code: str) -> str | None:
    """The code of the government a unit belongs to (its leaders approve plans and proposals)."""
    path = org.government_path(session, code)
    return path.rstrip("/").split("/")[-1] if path else None


def office_of(session: Session, code: str) -> str | None:
    """The supervision office (督查室) of a unit's government: the unit itself when it is one."""
    unit = session.get(Unit, code)
    if unit is None:
        return None
    if unit.kind == SUPERVISION_OFFICE:
        return unit.code
    government = org.government_path(session, code)
    if government is None:
        return None
    offices = session.scalars(
        select(Unit)
        .where(Unit.kind == SUPERVISION_OFFICE, Unit.path.startswith(government, autoescape=True))
        .order_by(Unit.path)
    )
    for office in offices:
        if org.government_path(session, office.code) == government:
            return office.code
    return None


def government_scope(session: Session, code: str) -> Scope:
    """Everything under a unit's government: what its office may supervise and see."""
    path = org.government_path(session, code)
    scope = Scope(everything=False, subtrees=(path,) if path else (), units=frozenset({code}))
    return scope.expanded(session)


def check_named(session: Session, principal: Principal, named: list[tuple[str, str]]) -> None:
    """Every (field, unit code) must exist (422 naming each field) and lie under the caller's
    government (403 naming the first field outside it)."""
    unknown = [
        {"field": field, "message": f"unknown unit '{code}'"}
        for field, code in named
        if session.get(Unit, code) is None
    ]
    if unknown:
        raise InvalidData("some units do not exist", errors=unknown)
    scope = scope_of(session, principal)
    if not scope.everything:
        scope = government_scope(session, principal.unit)
    for field, code in named:
        if not scope.contains(session, code):
            raise Forbidden(
                f"unit '{code}' is outside your scope",
                errors=[{"field": field, "message": f"unit '{code}' is outside your scope"}],
            )


def paths(session: Session, codes: set[str]) -> dict[str, str]:
    """Unit code → path, for the codes that exist."""
    if not codes:
        return {}
    rows = session.execute(select(Unit.code, Unit.path).where(Unit.code.in_(sorted(codes))))
    return {code: path for code, path in rows}
