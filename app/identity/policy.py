"""Authorization in one place: which role may do what, and which units a caller may see."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from app.identity import admission
from app.identity.auth import Authenticator
from app.identity.principal import Principal, Role
from app.kit.errors import DomainError
from app.org import service as units
from app.org.models import Unit


class Forbidden(DomainError):
    status, code = 403, "forbidden"


# Every person's role; an external worker (a system) may only do external tasks.
ALL = frozenset(Role) - {Role.WORKER}
READ_ONLY = frozenset({Role.AUDITOR, Role.PERSONNEL})
OFFICE = frozenset({Role.SUPERVISION_OFFICE, Role.OFFICE_HEAD})

# action → the roles that may attempt it (scope is checked separately, per object).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "definitions.read": ALL,
    "definitions.deploy": frozenset({Role.PROCESS_DESIGNER, Role.ADMIN}),
    "instances.read": ALL,
    "instances.start": OFFICE | {Role.DIVISION, Role.LEADER, Role.ADMIN},
    "instances.cancel": OFFICE | {Role.ADMIN},
    "tasks.read": ALL,
    "tasks.work": ALL - READ_ONLY - {Role.ADMIN},
    "tasks.assign": OFFICE | {Role.ADMIN},
    "messages.send": frozenset({Role.SUPERVISION_OFFICE, Role.ADMIN}),
    "jobs.read": OFFICE | {Role.ADMIN, Role.AUDITOR},
    # Firing a timer is an act on the instance: admins, and the office that controls it.
    "jobs.execute": OFFICE | {Role.ADMIN},
    "units.read": ALL,
    "units.write": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.AUDITOR, Role.ADMIN}),
    "matters.read": ALL,
    "matters.register": OFFICE | {Role.ADMIN},
    "matters.extend": frozenset({Role.UNIT_HANDLER, Role.UNIT_HEAD}),
    "matters.decide": OFFICE | {Role.ADMIN},
    # plan and apply results (seed 二(一), 三(二)–(四), 四)
    "plans.read": ALL,
    "plans.draft": OFFICE | {Role.ADMIN},
    "proposals.submit": frozenset({Role.DIVISION, Role.SUPERVISION_OFFICE}),
    "activities.read": ALL,
    "activities.record": OFFICE | {Role.DIVISION, Role.EVALUATOR, Role.DEPUTY},
    "activities.object": frozenset({Role.UNIT_HANDLER, Role.UNIT_HEAD}),
    "attachments.upload": ALL - READ_ONLY - {Role.ADMIN},
    "reports.read": ALL - {Role.UNIT_HANDLER, Role.EVALUATOR, Role.DEPUTY},
    "reports.draft": OFFICE,
    "bulletins.read": ALL,
    "bulletins.draft": OFFICE,
    "accountability.read": OFFICE | {Role.LEADER, Role.AUDITOR, Role.PERSONNEL, Role.ADMIN},
    "accountability.propose": OFFICE,
    "rectifications.read": ALL,
    "rectifications.open": OFFICE,
    "scores.read": OFFICE | {Role.LEADER, Role.PERSONNEL, Role.AUDITOR, Role.ADMIN},
    "scores.configure": frozenset({Role.OFFICE_HEAD, Role.ADMIN}),
    "ledgers.export": OFFICE | {Role.LEADER, Role.PERSONNEL, Role.AUDITOR, Role.ADMIN},
    # integration (issue 8)
    "events.read": ALL,
    "webhooks.manage": frozenset({Role.ADMIN}),
    "external_tasks.work": frozenset({Role.WORKER, Role.ADMIN}),
    "incidents.resolve": OFFICE | {Role.ADMIN},
    # operators' repairs (issue 16): scope is `controls` on each instance, checked per object
    "incidents.read": OFFICE | {Role.ADMIN, Role.AUDITOR},
    "instances.modify": OFFICE | {Role.ADMIN},
    "instances.migrate": OFFICE | {Role.ADMIN},
    "definitions.suspend": frozenset({Role.PROCESS_DESIGNER, Role.ADMIN}),
    "history.read": OFFICE | {Role.ADMIN, Role.AUDITOR, Role.LEADER},
    "notifications.read": ALL,
    "notifications.manage": frozenset({Role.ADMIN}),
}

# Roles that see their government's whole subtree, not only their own unit.
SUBTREE_ROLES = frozenset({Role.SUPERVISION_OFFICE, Role.OFFICE_HEAD, Role.LEADER, Role.AUDITOR})


def allowed(principal: Principal, action: str) -> bool:
    """True when one of the caller's roles may perform `action`."""
    return any(role.value in principal.roles for role in PERMISSIONS[action])


def require(principal: Principal, action: str) -> None:
    """403 unless the caller's roles allow `action`."""
    if not allowed(principal, action):
        raise Forbidden(f"your roles do not allow '{action}'", action=action)


async def current_principal(request: Request) -> Principal:
    """The authenticated caller (401 otherwise).

    Async, like the dependency below: both only compute (the caller's unit is checked against
    the cached unit tree), and a sync dependency costs a thread-pool hop per request.
    """
    authenticator: Authenticator = request.app.state.authenticator
    principal = authenticator.authenticate(request)
    await admission.admit(request, principal)  # a unit outside the tree: 401 unknown_unit
    return principal


def permission(action: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold a role allowed to perform `action`."""

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        require(principal, action)
        return principal

    dependency.__name__ = f"permission_{action.replace('.', '_')}"
    return dependency


EXPANDED_UNITS = 1_000
"""Subtrees of at most this many units go into SQL as their unit codes; larger ones as a
subquery on the units' paths."""


@dataclass(frozen=True)
class Scope:
    """The units whose data a caller may see: everything, some subtrees, or exact units.
    `below`, when known, holds the codes of every unit in the subtrees (expanded once from the
    unit-tree cache), and the scope is written into SQL as that list."""

    everything: bool
    subtrees: tuple[str, ...] = ()
    units: frozenset[str] = frozenset()
    below: frozenset[str] | None = None

    def clause(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition: `column` (a unit code) is in scope."""
        if self.everything:
            return true()
        if self.below is not None:
            codes = self.units | self.below
            return column.in_(sorted(codes)) if codes else false()
        conditions: list[ColumnElement[bool]] = []
        if self.units:
            conditions.append(column.in_(sorted(self.units)))
        for path in self.subtrees:
            below = select(Unit.code).where(Unit.path.startswith(path, autoescape=True))
            conditions.append(column.in_(below))
        return or_(*conditions) if conditions else false()

    def expanded(self, session: Session) -> "Scope":
        """The same scope with its subtrees' unit codes (`below`), when they are few enough."""
        if self.everything or self.below is not None or not self.subtrees:
            return self
        codes: set[str] = set()
        for path in self.subtrees:
            codes |= units.codes_below(session, path)
            if len(codes) > EXPANDED_UNITS:
                return self
        return replace(self, below=frozenset(codes))

    def covers(self, other: "Scope") -> bool:
        """Every unit of `other` is in this scope, as far as the expanded codes tell (a subtree
        not expanded: False)."""
        if self.everything:
            return True
        if other.everything or (other.subtrees and other.below is None):
            return False
        known = self.units | (self.below or frozenset())
        return other.units <= known and (other.below or frozenset()) <= known

    def contains(self, session: Session, unit_code: str | None) -> bool:
        """True when one unit is in scope."""
        if self.everything:
            return True
        if unit_code is None:
            return False
        if unit_code in self.units or (self.below is not None and unit_code in self.below):
            return True
        path = units.path_of(session, unit_code)
        return path is not None and any(path.startswith(p) for p in self.subtrees)


def scope_of(session: Session, principal: Principal) -> Scope:
    """Own unit; for offices, leaders and auditors their government's subtree; admins all.

    Unit paths come from the database's unit-tree cache (app.org.service): no query per request.
    """
    if principal.has(Role.ADMIN):
        return Scope(everything=True)
    own = frozenset({principal.unit})
    if not principal.has(*SUBTREE_ROLES):
        return Scope(everything=False, units=own)
    anchor = units.government_path(session, principal.unit)
    scope = Scope(everything=False, subtrees=(anchor,) if anchor else (), units=own)
    return scope.expanded(session)


def can_work(principal: Principal, *, unit_code: str | None, candidate_groups: list[str]) -> bool:
    """Only a user of the task's unit, holding one of its candidate roles, works on it."""
    if not allowed(principal, "tasks.work"):
        return False
    if unit_code is not None and unit_code != principal.unit:
        return False
    if not candidate_groups:
        return True
    return bool(principal.roles & set(candidate_groups))


def controls(session: Session, principal: Principal, owner_unit: str | None) -> bool:
    """Who controls an object (an instance, a matter, a plan, an activity, a rectification, a
    result): the unit that owns it (registered it), the supervision offices above it (an office
    or office head whose government's subtree holds the owner) and admins. Being involved —
    lead, co-operating, a unit below them — grants seeing it and working one's own tasks, never
    controlling it (docs/access.md; domain.md §8: every level sees its own and its subordinates'
    matters, and the registering level runs them)."""
    if principal.has(Role.ADMIN):
        return True
    if owner_unit is None:
        return False
    if owner_unit == principal.unit:
        return True
    return principal.has(*OFFICE) and scope_of(session, principal).contains(session, owner_unit)


def controlled_clause(session: Session, principal: Principal, column: Any) -> ColumnElement[bool]:
    """`controls` as a SQL condition on an owner-unit column (for sets: messages, lists)."""
    if principal.has(Role.ADMIN):
        return true()
    own: ColumnElement[bool] = column == principal.unit
    if not principal.has(*OFFICE):
        return own
    return or_(own, scope_of(session, principal).clause(column))


def require_control(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: object,
    owner_unit: str | None,
) -> None:
    """403 naming the action and the object unless the caller controls it (see `controls`).
    Call it only on an object the caller may see: one they may not see is a 404 before this."""
    if controls(session, principal, owner_unit):
        return
    raise Forbidden(
        f"'{action}' on {object_type} {object_id} is for the office that owns it "
        f"({owner_unit}), the offices above it and admins; being involved is not enough",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        owner_unit=owner_unit,
    )


def sees_contact(
    session: Session, principal: Principal, *, sub: str | None, unit_code: str | None
) -> bool:
    """Who sees a person's contact data (e-mail, IM id or mobile): the person themself, the
    supervision office of their government and the offices above it (an office or office head
    whose subtree holds the person's unit), and admins. Everyone else gets it redacted
    (docs/access.md; 条例 Art. 19: personal privacy is not to be leaked)."""
    if principal.has(Role.ADMIN):
        return True
    if sub is not None and sub == principal.sub:
        return True
    return principal.has(*OFFICE) and scope_of(session, principal).contains(session, unit_code)
