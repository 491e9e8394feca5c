"""list indexes: the inbox's order, a process's open tasks, the audit trail of one action

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 20:00:00

Years of data (issue 19): the inbox lists a unit's open tasks overdue first, then due soon, then by
due date — the due date's own order — so this partial index (`state = 'ready'`) serves its page
in order instead of a sort of every open task in scope; it includes the candidate roles
(PostgreSQL), so the inbox's counts and role filter read the index alone. The task list's
`process_key` filter and the audit trail's `action` filter get an index in their list's order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READY = sa.text("state = 'ready'")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_ready_unit_due",
        "tasks",
        ["unit_code", "due_at", "created_at", "id"],
        postgresql_include=["candidate_groups"],
        postgresql_where=READY,
        sqlite_where=READY,
    )
    op.create_index(
        "ix_tasks_ready_process_created",
        "tasks",
        ["process_key", "created_at", "id"],
        postgresql_where=READY,
        sqlite_where=READY,
    )
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.drop_index("ix_tasks_ready_process_created", table_name="tasks")
    op.drop_index("ix_tasks_ready_unit_due", table_name="tasks")
