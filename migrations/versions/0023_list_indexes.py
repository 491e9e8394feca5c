"""list indexes: open tasks by unit and age, matters and audit rows in the lists' order

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 17:20:00

Years of data (issue 19): the lists read their page through an index in their own order instead
of sorting everything in scope. The open-task indexes are partial (`state = 'ready'`): they hold
open work only, however many completed tasks history keeps.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READY = sa.text("state = 'ready'")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_ready_unit_created",
        "tasks",
        ["unit_code", "created_at", "id"],
        postgresql_where=READY,
        sqlite_where=READY,
    )
    op.create_index(
        "ix_tasks_ready_created",
        "tasks",
        ["created_at", "id"],
        postgresql_where=READY,
        sqlite_where=READY,
    )
    op.create_index("ix_matters_created", "matters", ["created_at", "id"])
    op.create_index("ix_audit_log_object_type_id", "audit_log", ["object_type", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_object_type_id", table_name="audit_log")
    op.drop_index("ix_matters_created", table_name="matters")
    op.drop_index("ix_tasks_ready_created", table_name="tasks")
    op.drop_index("ix_tasks_ready_unit_created", table_name="tasks")
