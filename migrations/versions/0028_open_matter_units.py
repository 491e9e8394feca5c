"""matter units: whether the matter is open, and a unit's open matters as their own index;
statistics of matters' status with their tally mark (PostgreSQL)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 01:40:00

Years of data (issue 19): the overdue list of a unit read every matter the unit ever read
(`matter_units`, which grow with the years) and hashed them against the province's open deadlines
past due, so it slowed as years of closed matters piled up. `matter_units.open` mirrors the
matter's status (kept by `app.supervision.reach`), and a partial index holds a unit's open
matters only: the list reads the unit's open work, whatever the years hold.

The dashboard's live part reads matters closed since the summary's last refresh (few, by design).
The planner took `NOT tallied` and `status = 'closed'` for independent and expected thousands,
so it hashed every unit a city's matters were ever read by to find them: the statistics of the
two columns together (an MCV list) tell it they are few.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("open")
STATISTICS = "st_matters_tallied_status"


def upgrade() -> None:
    op.add_column(
        "matter_units", sa.Column("open", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.execute(
        "UPDATE matter_units SET open = false"
        " WHERE matter_id IN (SELECT id FROM matters WHERE status = 'closed')"
    )
    op.create_index(
        "ix_matter_units_open",
        "matter_units",
        ["unit_code", "matter_id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON tallied, status FROM matters")
        op.execute("ANALYZE matters")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS {STATISTICS}")
    op.drop_index("ix_matter_units_open", table_name="matter_units")
    op.drop_column("matter_units", "open")
