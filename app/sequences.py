"""Gap-free numbers for official codes (DC-2026-0001 …), safe across service processes.

Counting existing rows and adding one races: two registrations at once got the same code. A
row per sequence, incremented by one atomic upsert, serialises the writers on that row until
their transactions commit (PostgreSQL row lock; SQLite has one writer anyway).
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Integer, Result, String, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from app.db import Base


class CodeSequence(Base):
    """The last number given out under one prefix."""

    __tablename__ = "code_sequences"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_number(
    session: Session, name: str, existing: Callable[[], int], *, gapless: bool = True
) -> int:
    """The next number of sequence `name`; `existing` counts numbers given before it existed.

    Gapless (document numbers, 文号): taken in the caller's transaction, so a rolled-back change
    gives its number back, and writers of one sequence wait for each other's commit. Otherwise
    (internal codes) on PostgreSQL the number is taken in a short transaction of its own: no
    waiting behind a long registration, at the price of a gap when the registration fails.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Once the row exists (every time but the first), one statement takes the number.
    increment = (
        update(CodeSequence)
        .where(CodeSequence.name == name)
        .values(value=CodeSequence.value + 1)
        .returning(CodeSequence.value)
    )

    def take(execute: Callable[[Any], Result[Any]]) -> int:
        value = execute(increment).scalar_one_or_none()
        if value is None:
            # The first number continues what was counted; a writer that created the row
            # meanwhile is met by the upsert, which increments.
            first = (
                insert(CodeSequence)
                .values(name=name, value=existing() + 1)
                .on_conflict_do_update(
                    index_elements=[CodeSequence.name], set_={"value": CodeSequence.value + 1}
                )
                .returning(CodeSequence.value)
            )
            value = execute(first).scalar_one()
        return int(value)

    if gapless or dialect != "postgresql":  # SQLite has one writer: nothing to wait behind
        return take(session.execute)
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as connection:
        value = take(connection.execute)
        connection.commit()
    return value


def next_code(session: Session, column: InstrumentedAttribute[str], prefix: str) -> str:
    """`prefix` and the next four-digit number, counting on from the codes in `column`.

    Internal codes (DC-2026-0001) are unique and increasing, not gapless (see `next_number`)."""

    def existing() -> int:
        return session.scalar(select(func.count()).where(column.startswith(prefix))) or 0

    return f"{prefix}{next_number(session, prefix, existing, gapless=False):04d}"
