"""Gap-free numbers for official codes (DC-2026-0001 …), safe across service processes.

Counting existing rows and adding one races: two registrations at once got the same code. A
row per sequence, incremented by one atomic upsert, serialises the writers on that row until
their transactions commit (PostgreSQL row lock; SQLite has one writer anyway).
"""

from collections.abc import Callable

from sqlalchemy import Integer, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from app.db import Base


class CodeSequence(Base):
    """The last number given out under one prefix."""

    __tablename__ = "code_sequences"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_number(session: Session, name: str, existing: Callable[[], int]) -> int:
    """The next number of sequence `name`; `existing` counts numbers given before it existed."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The first number continues what was counted; once the row exists the upsert increments.
    start = existing() + 1 if session.get(CodeSequence, name) is None else 1
    statement = (
        insert(CodeSequence)
        .values(name=name, value=start)
        .on_conflict_do_update(
            index_elements=[CodeSequence.name], set_={"value": CodeSequence.value + 1}
        )
        .returning(CodeSequence.value)
    )
    value = session.execute(statement).scalar_one()
    return int(value)


def next_code(session: Session, column: InstrumentedAttribute[str], prefix: str) -> str:
    """`prefix` and the next four-digit number, counting on from the codes in `column`."""

    def existing() -> int:
        return session.scalar(select(func.count()).where(column.startswith(prefix))) or 0

    return f"{prefix}{next_number(session, prefix, existing):04d}"
