"""supervision matters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:55:48.436160
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("source_type", sa.String(length=40), nullable=False),
        sa.Column("source_ref", sa.String(length=500), nullable=True),
        sa.Column("lead_unit", sa.String(length=64), nullable=False),
        sa.Column(
            "co_units",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("owner_unit", sa.String(length=64), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("final_due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("complex_npc", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=30), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matters_category"), ["category"], unique=False)
        batch_op.create_index("ix_matters_final_due", ["final_due"], unique=False)
        batch_op.create_index(batch_op.f("ix_matters_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_matters_lead_unit", ["lead_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_matters_owner_unit"), ["owner_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_matters_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_matters_source_type"), ["source_type"], unique=False)
        batch_op.create_index("ix_matters_status_light", ["status", "light"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("sign_due", sa.Date(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("review", sa.String(length=20), nullable=False),
        sa.Column("timeliness", sa.String(length=10), nullable=True),
        sa.Column("quality", sa.String(length=10), nullable=True),
        sa.Column("evaluation_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_matter_id"), ["matter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("deadline_id", sa.Uuid(), nullable=False),
        sa.Column("requested_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extension_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extension_requests_matter_id"), ["matter_id"], unique=False
        )

    op.create_table(
        "matter_deadlines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("calendar_basis", sa.String(length=20), nullable=False),
        sa.Column("rolled_from", sa.Date(), nullable=True),
        sa.Column("original_due", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("matter_deadlines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_matter_deadlines_matter_id"), ["matter_id"], unique=False
        )

    op.create_table(
        "matter_timeline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("matter_timeline", schema=None) as batch_op:
        batch_op.create_index("ix_matter_timeline_matter", ["matter_id", "at"], unique=False)

    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("submitted_by", sa.String(length=255), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_id", sa.Uuid(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_reports_matter_id"), ["matter_id"], unique=False
        )

    op.create_table(
        "urgings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("urgings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgings_matter_id"), ["matter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("urgings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgings_matter_id"))

    op.drop_table("urgings")
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_reports_matter_id"))

    op.drop_table("progress_reports")
    with op.batch_alter_table("matter_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_matter_timeline_matter")

    op.drop_table("matter_timeline")
    with op.batch_alter_table("matter_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matter_deadlines_matter_id"))

    op.drop_table("matter_deadlines")
    with op.batch_alter_table("extension_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_requests_matter_id"))

    op.drop_table("extension_requests")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_unit_code"))
        batch_op.drop_index(batch_op.f("ix_assignments_matter_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_index("ix_matters_status_light")
        batch_op.drop_index(batch_op.f("ix_matters_source_type"))
        batch_op.drop_index(batch_op.f("ix_matters_parent_id"))
        batch_op.drop_index(batch_op.f("ix_matters_owner_unit"))
        batch_op.drop_index("ix_matters_lead_unit")
        batch_op.drop_index(batch_op.f("ix_matters_instance_id"))
        batch_op.drop_index("ix_matters_final_due")
        batch_op.drop_index(batch_op.f("ix_matters_category"))

    op.drop_table("matters")
