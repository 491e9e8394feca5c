"""incidents an operator lists, retries and resolves; jobs with retries and backoff

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
INDEXES = (
    ("ix_incidents_created_at", ["created_at"]),
    ("ix_incidents_process_key_created", ["process_key", "created_at"]),
    ("ix_incidents_kind_created", ["kind", "created_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("process_key", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("external_task_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("trigger", JSON, nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("resolved_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    # Incidents raised before: their process, and how the resolved ones closed (only by
    # giving an external task retries, before this revision).
    op.execute(
        "UPDATE incidents SET process_key = (SELECT p.process_key FROM process_instances p "
        "WHERE p.id = incidents.instance_id)"
    )
    op.execute("UPDATE incidents SET resolution = 'retried' WHERE resolved_at IS NOT NULL")
    for name, columns in INDEXES:
        op.create_index(name, "incidents", columns, unique=False)
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("retries", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("retries")
    for name, _columns in INDEXES:
        op.drop_index(name, table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        for column in (
            "note",
            "resolution",
            "resolved_by",
            "attempts",
            "trigger",
            "external_task_id",
            "process_key",
        ):
            batch.drop_column(column)
