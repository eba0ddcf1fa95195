"""Reporter follow-ups: a case's consent to SMS updates, and when one is owed and last went.

Existing cases were reported before the question was asked: no consent, nothing owed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
FOLLOW_UP_DUE = "follow_up_due_at IS NOT NULL"


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: a constant default or nullable, no table rebuild.
    op.add_column(
        "case", sa.Column("sms_consent", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("case", sa.Column("follow_up_due_at", TIMESTAMP, nullable=True))
    op.add_column("case", sa.Column("follow_up_sent_at", TIMESTAMP, nullable=True))
    op.create_index(
        "ix_case_follow_up_due",
        "case",
        ["follow_up_due_at", "id"],
        postgresql_where=sa.text(FOLLOW_UP_DUE),
        sqlite_where=sa.text(FOLLOW_UP_DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_case_follow_up_due", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("follow_up_sent_at")
        batch.drop_column("follow_up_due_at")
        batch.drop_column("sms_consent")
