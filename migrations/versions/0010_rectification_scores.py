"""rectification scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("problems", JSON, nullable=False),
        sa.Column("source_matter_id", sa.Uuid(), nullable=True),
        sa.Column("source_activity_id", sa.Uuid(), nullable=True),
        sa.Column("source_bulletin_id", sa.Uuid(), nullable=True),
        sa.Column("owner_unit", sa.String(length=64), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("verify_on_site", sa.Boolean(), nullable=False),
        sa.Column("head_sign_off", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        for column in (
            "due",
            "instance_id",
            "owner_unit",
            "source_activity_id",
            "source_bulletin_id",
            "source_matter_id",
        ):
            batch_op.create_index(f"ix_rectifications_{column}", [column], unique=False)
        batch_op.create_index("ix_rectifications_status_light", ["status", "light"], unique=False)

    op.create_table(
        "rectification_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=False),
        sa.Column("part_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=True),
        sa.ForeignKeyConstraint(["rectification_id"], ["rectifications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rectification_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rectification_events_rectification", ["rectification_id", "id"], unique=False
        )

    op.create_table(
        "rectification_parts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plan", JSON, nullable=True),
        sa.Column("report", JSON, nullable=True),
        sa.Column("verification", JSON, nullable=True),
        sa.Column("plan_returns", sa.Integer(), nullable=False),
        sa.Column("send_backs", sa.Integer(), nullable=False),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["rectification_id"], ["rectifications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rectification_parts", schema=None) as batch_op:
        for column in ("due", "rectification_id", "unit_code"):
            batch_op.create_index(f"ix_rectification_parts_{column}", [column], unique=False)

    op.create_table(
        "rectification_urgings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=False),
        sa.Column("part_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["rectification_parts.id"]),
        sa.ForeignKeyConstraint(["rectification_id"], ["rectifications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rectification_urgings", schema=None) as batch_op:
        for column in ("part_id", "rectification_id", "unit_code"):
            batch_op.create_index(f"ix_rectification_urgings_{column}", [column], unique=False)

    op.create_table(
        "score_weight_sets",
        sa.Column("government_code", sa.String(length=64), nullable=False),
        sa.Column("weights", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("government_code"),
    )


def downgrade() -> None:
    op.drop_table("score_weight_sets")
    op.drop_table("rectification_urgings")
    op.drop_table("rectification_parts")
    op.drop_table("rectification_events")
    op.drop_table("rectifications")
