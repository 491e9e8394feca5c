"""task role statistics: the planner learns how many open tasks each role is offered

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 08:00:00

Years of data (issue 19): the inbox matches the caller's roles in SQL on the text of a task's
candidate roles (`CAST(candidate_groups AS VARCHAR) LIKE '%"role"%'`). PostgreSQL keeps no
statistics for that expression, so it took the match for a default ~1 % of a unit's open tasks
(15 estimated where 1,500 were offered to an office) and chose to read and sort them all instead
of walking `ix_tasks_ready_unit_due` in order: 8–12 ms for an office's inbox page at five years,
1.5–1.8 ms with these statistics. Expression statistics cost nothing on writes; `ANALYZE` fills
them (here at once, and then whenever autovacuum analyses the table). SQLite has no planner
statistics of this kind: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "st_tasks_candidate_groups_text"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE STATISTICS {NAME} ON ((candidate_groups::varchar)) FROM tasks")
    op.execute("ANALYZE tasks")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS IF EXISTS {NAME}")
