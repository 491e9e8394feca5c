"""activity records

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _activity() -> sa.Column:
    return sa.Column("activity_id", sa.Uuid(), sa.ForeignKey("activities.id"), nullable=False)


def _index_activity(table: str) -> None:
    op.create_index(f"ix_{table}_activity_id", table, ["activity_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preparation", JSON, nullable=True))
        batch_op.add_column(sa.Column("concluded_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.Text(), nullable=True))

    op.create_table(
        "activity_units",
        sa.Column("activity_id", sa.Uuid(), sa.ForeignKey("activities.id"), primary_key=True),
        sa.Column("unit_code", sa.String(length=64), primary_key=True),
        sa.Column("role", sa.String(length=20), primary_key=True),
    )
    op.create_index("ix_activity_units_unit_code", "activity_units", ["unit_code"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_unit", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_activity("attachments")
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"], unique=False)

    op.create_table(
        "activity_findings",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("attachment_ids", JSON, nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_activity("activity_findings")

    op.create_table(
        "activity_look_backs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("matter_id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.String(length=255), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    _index_activity("activity_look_backs")
    op.create_index(
        "ix_activity_look_backs_instance_id", "activity_look_backs", ["instance_id"], unique=False
    )

    op.create_table(
        "inspection_opinions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("invitee", sa.String(length=255), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("suggestions", sa.Text(), nullable=True),
        sa.Column("attachment_ids", JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_activity("inspection_opinions")

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("evaluator", sa.String(length=255), nullable=True),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("attachment_ids", JSON, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    )
    _index_activity("evaluations")

    op.create_table(
        "survey_imports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("responses", JSON, nullable=False),
        sa.Column("imported_by", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_activity("survey_imports")

    op.create_table(
        "media_coverage",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("outlet", sa.String(length=200), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("tone", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _index_activity("media_coverage")

    op.create_table(
        "activity_objections",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _activity(),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("applicant", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decide_due", sa.Date(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    _index_activity("activity_objections")
    op.create_index(
        "ix_activity_objections_instance_id", "activity_objections", ["instance_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "activity_objections",
        "media_coverage",
        "survey_imports",
        "evaluations",
        "inspection_opinions",
        "activity_look_backs",
        "activity_findings",
        "attachments",
        "activity_units",
    ):
        op.drop_table(table)
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("evidence")
        batch_op.drop_column("concluded_by")
        batch_op.drop_column("preparation")
