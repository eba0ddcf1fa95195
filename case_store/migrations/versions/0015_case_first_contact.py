"""A case's first contact: when someone reached the child or the reporter (SMS ``CALLED``).

It stops the first-contact clock, so the partial index the overdue sweep reads by
first-contact deadline now keeps the open cases with no first contact, instead of the
unacknowledged ones. Existing cases have no first contact recorded (an acknowledgement is not
one): an open case past its first-contact deadline is overdue until someone sends ``CALLED``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
UNACKNOWLEDGED_ACTIVE = "acknowledged_at IS NULL AND status <> 'closed'"
UNCONTACTED_ACTIVE = "first_contacted_at IS NULL AND status <> 'closed'"


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: nullable, no default, no table rebuild.
    op.add_column("case", sa.Column("first_contacted_at", TIMESTAMP, nullable=True))
    op.drop_index("ix_case_unacknowledged_first_contact_by", table_name="case")
    op.create_index(
        "ix_case_uncontacted_first_contact_by",
        "case",
        ["first_contact_by", "id"],
        postgresql_where=sa.text(UNCONTACTED_ACTIVE),
        sqlite_where=sa.text(UNCONTACTED_ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_case_uncontacted_first_contact_by", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("first_contacted_at")
    op.create_index(
        "ix_case_unacknowledged_first_contact_by",
        "case",
        ["first_contact_by", "id"],
        postgresql_where=sa.text(UNACKNOWLEDGED_ACTIVE),
        sqlite_where=sa.text(UNACKNOWLEDGED_ACTIVE),
    )
