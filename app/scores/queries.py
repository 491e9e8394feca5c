"""Whose scores a caller may read: the one scope the score table, its workbook and the units
they list start from."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.identity.policy import SUBTREE_ROLES, Scope, scope_of
from app.identity.principal import Principal, Role
from app.org import service as units
from app.org.models import Unit


def readable_scope(session: Session, principal: Principal) -> Scope:
    """Organisation and personnel departments (组织人事) read their government's whole
    subtree, like offices and leaders (seed 三(三): results go to them for cadre appraisal);
    everyone else as `scope_of`."""
    if principal.has(Role.PERSONNEL) and not principal.has(Role.ADMIN, *SUBTREE_ROLES):
        anchor = units.government_path(session, principal.unit)
        return Scope(
            everything=False,
            subtrees=(anchor,) if anchor else (),
            units=frozenset({principal.unit}),
        ).expanded(session)
    return scope_of(session, principal)


def readable_units(session: Session, principal: Principal) -> Select[Unit]:
    """The units whose scores the caller may read (`service.scores` keeps those with a record
    in the period, tested against the same scope)."""
    return select(Unit).where(readable_scope(session, principal).clause(Unit.code))
