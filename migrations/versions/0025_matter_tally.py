"""matter tally: the dashboard's summary of closed matters, per scope and group

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 19:50:00

Years of data (issue 19): the dashboard's counts (`GET /console/matter-stats`) scanned every
matter in scope per request. Closed matters are now counted once into `matter_tally` (per scope
that sees them and per group of each dimension) by the tally worker; the counts add what the
summary does not hold (`NOT tallied`, a partial index) and subtract what left it since. Starts
empty: the worker's first rounds take every closed matter in, a batch per transaction, and the
counts are exact meanwhile (counted live).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNTALLIED = sa.text("NOT tallied")
LEFT = sa.text("NOT tallied AND tallied_as IS NOT NULL")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "matters", sa.Column("tallied", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("matters", sa.Column("tallied_as", JSON, nullable=True))
    op.create_index(
        "ix_matters_untallied",
        "matters",
        ["id"],
        postgresql_where=UNTALLIED,
        sqlite_where=UNTALLIED,
    )
    op.create_index(
        "ix_matters_left_tally", "matters", ["id"], postgresql_where=LEFT, sqlite_where=LEFT
    )
    op.create_table(
        "matter_tally",
        sa.Column("scope_key", sa.String(length=600), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope_key", "dimension", "value", "category"),
    )
    op.create_table(
        "matter_tally_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("units_fingerprint", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # The one state row, there before any refresh: refreshes lock it, one at a time.
    op.execute("INSERT INTO matter_tally_state (id) VALUES (1)")


def downgrade() -> None:
    op.drop_table("matter_tally_state")
    op.drop_table("matter_tally")
    op.drop_index("ix_matters_left_tally", table_name="matters")
    op.drop_index("ix_matters_untallied", table_name="matters")
    op.drop_column("matters", "tallied_as")
    op.drop_column("matters", "tallied")
