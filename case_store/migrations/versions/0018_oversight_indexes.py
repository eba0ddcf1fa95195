"""The supervisor's view and the daily counts: open cases nobody has acknowledged yet, by
deadline (a partial index, as the SLA sweeps' are), and cases and contacts by when they came.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNACKNOWLEDGED_ACTIVE = "acknowledged_at IS NULL AND status <> 'closed'"


def upgrade() -> None:
    op.create_index(
        "ix_case_unacknowledged_assign_by",
        "case",
        ["assign_by", "id"],
        postgresql_where=sa.text(UNACKNOWLEDGED_ACTIVE),
        sqlite_where=sa.text(UNACKNOWLEDGED_ACTIVE),
    )
    op.create_index("ix_case_created_at", "case", ["created_at"])
    op.create_index("ix_contact_started_at", "contact", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_contact_started_at", table_name="contact")
    op.drop_index("ix_case_created_at", table_name="case")
    op.drop_index("ix_case_unacknowledged_assign_by", table_name="case")
