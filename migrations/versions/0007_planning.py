"""planning

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "annual_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("owner_unit", sa.String(length=64), nullable=False),
        sa.Column("leader_unit", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("remind_after_days", sa.Integer(), nullable=False),
        sa.Column("returned_comment", sa.Text(), nullable=True),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_unit", "year", name="uq_annual_plans_owner_year"),
    )
    with op.batch_alter_table("annual_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_annual_plans_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_annual_plans_owner_unit"), ["owner_unit"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_annual_plans_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_annual_plans_year"), ["year"], unique=False)

    op.create_table(
        "plan_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("activity_kind", sa.String(length=30), nullable=True),
        sa.Column("method", sa.String(length=30), nullable=True),
        sa.Column("target_units", _json(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("source_type", sa.String(length=40), nullable=True),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.Column("co_units", _json(), nullable=False),
        sa.Column("division_unit", sa.String(length=64), nullable=True),
        sa.Column("explicit_due", sa.Date(), nullable=True),
        sa.Column("matter_id", sa.Uuid(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["annual_plans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "seq", name="uq_plan_items_plan_seq"),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_items_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_items_matter_id"), ["matter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_items_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "activity_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("target_units", _json(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("division_unit", sa.String(length=64), nullable=False),
        sa.Column("office_unit", sa.String(length=64), nullable=False),
        sa.Column("leader_unit", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("overlaps", _json(), nullable=False),
        sa.Column("review_decision", sa.String(length=20), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("activity_proposals", schema=None) as batch_op:
        for column in (
            "activity_id",
            "division_unit",
            "instance_id",
            "merged_into",
            "office_unit",
            "status",
        ):
            batch_op.create_index(
                batch_op.f(f"ix_activity_proposals_{column}"), [column], unique=False
            )

    op.create_table(
        "planning_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("planning_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planning_events_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_planning_events_proposal_id"), ["proposal_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("planning_events")
    op.drop_table("activity_proposals")
    op.drop_table("plan_items")
    op.drop_table("annual_plans")
