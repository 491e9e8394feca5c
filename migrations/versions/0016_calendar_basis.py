"""calendar basis: "provisional" for unpublished years, the nominal due day to re-roll from

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00

Deadlines decided on a year without a published holiday schedule were flagged "fallback"
(weekends only); they are now "provisional" (the statutory holidays by the national rules) and
are recomputed when the year's schedule is loaded — from `nominal_due`, the period's last day
before rolling off rest days. Existing rows get it where the rule was a computed period (not a
date given at registration, by an extension or by a look-back).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("matter_deadlines", sa.Column("nominal_due", sa.Date(), nullable=True))
    op.create_index(
        "ix_matter_deadlines_calendar_basis", "matter_deadlines", ["calendar_basis"], unique=False
    )
    op.execute(
        "UPDATE matter_deadlines SET calendar_basis = 'provisional' "
        "WHERE calendar_basis = 'fallback'"
    )
    # Computed periods: calendar days, not extended, not a given date (按规定时限 / 另定时限 /
    # a look-back's rectification date).
    op.execute(
        "UPDATE matter_deadlines SET nominal_due = COALESCE(rolled_from, due) "
        "WHERE basis = 'calendar' AND original_due IS NULL "
        "AND kind <> 'look_back_report' "
        "AND rule NOT LIKE '%按规定时限报告%' AND rule NOT LIKE '%另定时限%'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE matter_deadlines SET calendar_basis = 'fallback' "
        "WHERE calendar_basis = 'provisional'"
    )
    op.drop_index("ix_matter_deadlines_calendar_basis", table_name="matter_deadlines")
    op.drop_column("matter_deadlines", "nominal_due")
