"""matter units: the units through which a matter is read; open matters and deadlines indexed

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 19:40:00

Years of data (issue 19): a matter is read by its owner unit and by every unit it was assigned to.
Matter reads tested `owner_unit IN scope OR id IN (assignments in scope)`, which no index serves
(a sequential scan of matters and assignments per list). `matter_units` holds both kinds of unit,
so the scope is one semi-join through `(unit_code, matter_id)` or, for a wide scope, a probe of
`(matter_id, unit_code)` per row of the list's own order. Filled here from matters and
assignments; kept by `app.supervision.reach`. Open matters and open deadlines get partial
indexes: the overdue list and counts read open work only, however many years are closed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status <> 'closed'")
UNDONE = sa.text("done_on IS NULL")


def upgrade() -> None:
    op.create_table(
        "matter_units",
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["matter_id"], ["matters.id"]),
        sa.PrimaryKeyConstraint("matter_id", "unit_code"),
    )
    op.create_index("ix_matter_units_unit_matter", "matter_units", ["unit_code", "matter_id"])
    op.create_index(
        "ix_matters_open_created",
        "matters",
        ["created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_index(
        "ix_matter_deadlines_open",
        "matter_deadlines",
        ["matter_id", "due"],
        postgresql_where=UNDONE,
        sqlite_where=UNDONE,
    )
    op.execute(
        "INSERT INTO matter_units (matter_id, unit_code)"
        " SELECT id, owner_unit FROM matters"
        " UNION SELECT matter_id, unit_code FROM assignments"
    )


def downgrade() -> None:
    op.drop_index("ix_matter_deadlines_open", table_name="matter_deadlines")
    op.drop_index("ix_matters_open_created", table_name="matters")
    op.drop_index("ix_matter_units_unit_matter", table_name="matter_units")
    op.drop_table("matter_units")
