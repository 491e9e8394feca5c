"""audit chain head: the newest hash in one row, locked by appends

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:05:44.454487
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The head starts at the newest row of an existing chain (or at the genesis hash).
    op.execute(
        sa.text(
            "INSERT INTO audit_chain_head (id, prev_hash, hash) SELECT 1, h, h FROM "
            "(SELECT COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), :genesis)"
            " AS h) AS newest"
        ).bindparams(genesis=GENESIS)
    )


def downgrade() -> None:
    op.drop_table("audit_chain_head")
