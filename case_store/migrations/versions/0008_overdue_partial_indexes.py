"""Partial indexes for the SLA sweeps: active unassigned cases by assign-by deadline, active
unacknowledged cases by first-contact deadline.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNASSIGNED_ACTIVE = "assigned_to_id IS NULL AND status <> 'closed'"
UNACKNOWLEDGED_ACTIVE = "acknowledged_at IS NULL AND status <> 'closed'"


def upgrade() -> None:
    op.create_index(
        "ix_case_unassigned_assign_by",
        "case",
        ["assign_by", "id"],
        postgresql_where=sa.text(UNASSIGNED_ACTIVE),
        sqlite_where=sa.text(UNASSIGNED_ACTIVE),
    )
    op.create_index(
        "ix_case_unacknowledged_first_contact_by",
        "case",
        ["first_contact_by", "id"],
        postgresql_where=sa.text(UNACKNOWLEDGED_ACTIVE),
        sqlite_where=sa.text(UNACKNOWLEDGED_ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_case_unacknowledged_first_contact_by", table_name="case")
    op.drop_index("ix_case_unassigned_assign_by", table_name="case")
