"""activities and bulletins

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 20:17:35.957993
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column(
            "target_units",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("owner_unit", sa.String(length=64), nullable=False),
        sa.Column("division_unit", sa.String(length=64), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("plan_item_id", sa.Uuid(), nullable=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column(
            "matter_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_method"), ["method"], unique=False)
        batch_op.create_index(batch_op.f("ix_activities_owner_unit"), ["owner_unit"], unique=False)
        batch_op.create_index("ix_activities_period", ["period_start", "period_end"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activities_plan_item_id"), ["plan_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_proposal_id"), ["proposal_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_status"), ["status"], unique=False)

    op.create_table(
        "bulletins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("owner_unit", sa.String(length=64), nullable=False),
        sa.Column(
            "recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletins_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletins_owner_unit"), ["owner_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletins_status"), ["status"], unique=False)

    op.create_table(
        "bulletin_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bulletin_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "matter_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulletin_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_entries_bulletin_id"), ["bulletin_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bulletin_entries_unit_code"), ["unit_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletin_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_entries_unit_code"))
        batch_op.drop_index(batch_op.f("ix_bulletin_entries_bulletin_id"))

    op.drop_table("bulletin_entries")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletins_status"))
        batch_op.drop_index(batch_op.f("ix_bulletins_owner_unit"))
        batch_op.drop_index(batch_op.f("ix_bulletins_instance_id"))

    op.drop_table("bulletins")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_status"))
        batch_op.drop_index(batch_op.f("ix_activities_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_activities_plan_item_id"))
        batch_op.drop_index("ix_activities_period")
        batch_op.drop_index(batch_op.f("ix_activities_owner_unit"))
        batch_op.drop_index(batch_op.f("ix_activities_method"))
        batch_op.drop_index(batch_op.f("ix_activities_instance_id"))

    op.drop_table("activities")
