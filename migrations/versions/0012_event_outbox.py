"""event outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("units", JSON, nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_events_order", "outbox_events", ["txid", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # The writing transaction's id, set by the server: rows need no per-row SQL expression,
        # so several events of one step go in one multi-row INSERT.
        op.execute("ALTER TABLE outbox_events ALTER COLUMN txid SET DEFAULT txid_current()")
    op.create_index(op.f("ix_outbox_events_type"), "outbox_events", ["type"], unique=False)
    op.create_index(
        op.f("ix_outbox_events_instance_id"), "outbox_events", ["instance_id"], unique=False
    )
    op.create_table(
        "outbox_event_units",
        sa.Column(
            "event_row_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["event_row_id"], ["outbox_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_row_id", "unit_code"),
    )
    op.create_index(
        "ix_outbox_event_units_unit",
        "outbox_event_units",
        ["unit_code", "event_row_id"],
        unique=False,
    )
    op.create_table(
        "event_consumers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("event_consumers")
    op.drop_index("ix_outbox_event_units_unit", table_name="outbox_event_units")
    op.drop_table("outbox_event_units")
    op.drop_index(op.f("ix_outbox_events_instance_id"), table_name="outbox_events")
    op.drop_index(op.f("ix_outbox_events_type"), table_name="outbox_events")
    op.drop_index("ix_outbox_events_order", table_name="outbox_events")
    op.drop_table("outbox_events")
