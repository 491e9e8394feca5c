"""instance migration: batches migrating running instances to another version, per instance

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "migration_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_definition_id", sa.Uuid(), nullable=False),
        sa.Column("target_definition_id", sa.Uuid(), nullable=False),
        sa.Column("process_key", sa.String(length=255), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("target_process_key", sa.String(length=255), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("instructions", JSON, nullable=False),
        sa.Column("selection", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("migrated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_by_name", sa.String(length=255), nullable=True),
        sa.Column("created_roles", JSON, nullable=False),
        sa.Column("created_unit", sa.String(length=64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("started_at", INSTANT, nullable=True),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.Column("locked_by", sa.String(length=255), nullable=True),
        sa.Column("locked_until", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["source_definition_id"], ["process_definitions.id"]),
        sa.ForeignKeyConstraint(["target_definition_id"], ["process_definitions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_migration_batches_status_created",
        "migration_batches",
        ["status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_migration_batches_created_unit"),
        "migration_batches",
        ["created_unit"],
        unique=False,
    )
    op.create_table(
        "migration_batch_instances",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("elements", JSON, nullable=True),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["migration_batches.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("batch_id", "instance_id"),
    )
    op.create_index(
        "ix_migration_batch_instances_batch_status",
        "migration_batch_instances",
        ["batch_id", "status", "position"],
        unique=False,
    )
    op.create_index(
        op.f("ix_migration_batch_instances_instance_id"),
        "migration_batch_instances",
        ["instance_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_migration_batch_instances_instance_id"), table_name="migration_batch_instances"
    )
    op.drop_index(
        "ix_migration_batch_instances_batch_status", table_name="migration_batch_instances"
    )
    op.drop_table("migration_batch_instances")
    op.drop_index(op.f("ix_migration_batches_created_unit"), table_name="migration_batches")
    op.drop_index("ix_migration_batches_status_created", table_name="migration_batches")
    op.drop_table("migration_batches")
