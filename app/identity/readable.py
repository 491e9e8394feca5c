"""The shared base of "who may read what": a caller's scope as SQL, and one readable row or 404.

Each domain's `queries.py` builds its `readable(session, who)` statement on these (Polar's
`get_readable_statement(auth_subject)` over its repository base is the model). Lists, details,
exports, stats and the event feed all start from that one statement, so they never disagree
(docs/access.md, "Who may read what: one statement per domain").
"""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from app.identity.policy import Scope, scope_of
from app.identity.principal import Principal
from app.kit.errors import NotFound

T = TypeVar("T")

# Who is asking: a caller (whose scope is looked up) or a scope already at hand (a service
# that acts for an office, a caller's scope computed once for several statements).
Who = Principal | Scope


def scope(session: Session, who: Who) -> Scope:
    """The scope of `who`: itself when it is one, the caller's (policy.scope_of) otherwise."""
    return who if isinstance(who, Scope) else scope_of(session, who)


def any_unit(scope: Scope, *unit_columns: Any) -> ColumnElement[bool]:
    """One of these unit-code columns of the row is in scope."""
    if scope.everything:
        return true()
    return or_(*(scope.clause(column) for column in unit_columns))


def linked(
    scope: Scope, id_column: Any, link_id: Any, link_unit: Any, *also: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The row's id appears in a link table (`link_id`, `link_unit`) with a unit in scope: the
    units a matter is assigned to, the units an activity or an instance involves. `also`: what
    the link's row must meet besides (only the rows a partial index holds, say)."""
    if scope.everything:
        return true()
    return id_column.in_(select(link_id).where(scope.clause(link_unit), *also))


def one(session: Session, statement: Select[T], label: str, object_id: object) -> T:
    """The one row of a readable statement (already narrowed to an id), or 404: a row the
    caller may not read is answered exactly as one that does not exist."""
    row = session.scalars(statement).first()
    if row is None:
        raise NotFound(f"{label} {object_id} not found")
    return row
