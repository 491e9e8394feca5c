"""notifications

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("im_id", sa.String(length=200), nullable=True),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sub"),
    )
    op.create_index(op.f("ix_contacts_unit_code"), "contacts", ["unit_code"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("matter_id", sa.Uuid(), nullable=True),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("recipient_unit", sa.String(length=64), nullable=False),
        sa.Column("recipient_role", sa.String(length=40), nullable=False),
        sa.Column("recipient_sub", sa.String(length=255), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notifications_due", "notifications", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_notifications_matter", "notifications", ["matter_id", "created_at"], unique=False
    )
    op.create_index(op.f("ix_notifications_event_id"), "notifications", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_notifications_rectification_id"),
        "notifications",
        ["rectification_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notifications_unit_code"), "notifications", ["unit_code"], unique=False
    )
    op.create_index(
        op.f("ix_notifications_recipient_unit"), "notifications", ["recipient_unit"], unique=False
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_index(op.f("ix_contacts_unit_code"), table_name="contacts")
    op.drop_table("contacts")
