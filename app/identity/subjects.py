"""What an audit row is about, as an official reads it (审计对象): the matter (number and title)
and the process step (the element's display names), found by resolvers the domains register.

Identity sits below the domains, so it cannot read their tables; `app.main` registers one
resolver per domain (`register`), and `audit_page` asks them all once per page (no N requests).
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

# A resolver: the page's rows → {row id: fields to set on that row ("matter", "step_names")}.
Resolver = Callable[[Session, Sequence[Any]], dict[int, dict[str, Any]]]
_RESOLVERS: list[Resolver] = []


def register(resolver: Resolver) -> None:
    """Add a domain's resolver (once)."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def resolve(session: Session, rows: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """Every registered resolver's fields for the page's rows, merged per row."""
    found: dict[int, dict[str, Any]] = {}
    for resolver in _RESOLVERS:
        for row_id, fields in resolver(session, rows).items():
            found.setdefault(row_id, {}).update(fields)
    return found
