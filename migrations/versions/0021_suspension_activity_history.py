"""suspension of definitions; activity instances (history across instances), backfilled from tasks

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_activity_instances_task": ["task_id"],
    "ix_activity_instances_instance": ["instance_id", "started_at"],
    "ix_activity_instances_definition": ["definition_id", "element_id", "state"],
    "ix_activity_instances_key": ["process_key", "version", "element_id"],
    "ix_activity_instances_element": ["element_id", "started_at"],
    "ix_activity_instances_unit": ["unit", "started_at"],
    "ix_activity_instances_actor": ["actor", "started_at"],
    "ix_activity_instances_state": ["state", "started_at"],
    "ix_activity_instances_started": ["started_at"],
    "ix_activity_instances_ended": ["ended_at"],
}

# Human tasks already in the projection become activity instances (other elements that wait
# at the upgrade get no row: the engine never recorded when they began).
BACKFILL = """
INSERT INTO activity_instances (
    instance_id, definition_id, process_key, version, element_id, element_type, element_name,
    task_id, started_at, ended_at, duration_ms, state, actor, unit
)
SELECT t.instance_id, i.definition_id, i.process_key, i.version, t.element_id, t.element_type,
       t.name, t.id, t.created_at, t.completed_at,
       CASE WHEN t.completed_at IS NULL THEN NULL ELSE {duration} END,
       CASE WHEN t.state = 'ready' THEN 'active' ELSE t.state END,
       CASE WHEN t.state = 'completed' THEN t.completed_by END,
       t.unit_code
FROM tasks t JOIN process_instances i ON i.id = t.instance_id
ORDER BY t.created_at, t.id
"""
DURATION = {
    "postgresql": "CAST(ROUND(EXTRACT(EPOCH FROM t.completed_at - t.created_at) * 1000) AS BIGINT)",
    "sqlite": "CAST(ROUND((julianday(t.completed_at) - julianday(t.created_at)) * 86400000)"
    " AS INTEGER)",
}


def upgrade() -> None:
    with op.batch_alter_table("process_definitions") as batch:
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("suspended_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))
    op.create_table(
        "activity_instances",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("definition_id", sa.Uuid(), nullable=False),
        sa.Column("process_key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("element_type", sa.String(length=50), nullable=False),
        sa.Column("element_name", sa.String(length=500), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "activity_instances", columns, unique=False)
    dialect = op.get_bind().dialect.name
    op.execute(sa.text(BACKFILL.format(duration=DURATION.get(dialect, DURATION["postgresql"]))))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="activity_instances")
    op.drop_table("activity_instances")
    with op.batch_alter_table("process_definitions") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_by")
        batch.drop_column("suspended_at")
