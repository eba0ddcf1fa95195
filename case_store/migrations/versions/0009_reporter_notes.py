"""Notes written by reporters (USSD / SMS follow-up): a note's staff author becomes optional.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("note") as batch:
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Reporters' notes have no staff author and cannot survive the old schema.
    op.execute("DELETE FROM note WHERE author_id IS NULL")
    with op.batch_alter_table("note") as batch:
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
