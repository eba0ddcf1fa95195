"""The roster's audit trail; a case's pending alert and fallback alert.

Existing cases have no pending alert (their alerts were sent or logged when they opened) and
have not gone to the fallback.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)
ALERT_PENDING = "alert_pending_since IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "roster_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_roster_event_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_event")),
    )
    op.create_index(op.f("ix_roster_event_user_id"), "roster_event", ["user_id"])
    # Plain ADD COLUMN on both databases: nullable, no default, no table rebuild.
    op.add_column("case", sa.Column("alert_pending_since", TIMESTAMP, nullable=True))
    op.add_column("case", sa.Column("fallback_alerted_at", TIMESTAMP, nullable=True))
    op.create_index(
        "ix_case_alert_pending",
        "case",
        ["alert_pending_since", "id"],
        postgresql_where=sa.text(ALERT_PENDING),
        sqlite_where=sa.text(ALERT_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_case_alert_pending", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("fallback_alerted_at")
        batch.drop_column("alert_pending_since")
    op.drop_index(op.f("ix_roster_event_user_id"), table_name="roster_event")
    op.drop_table("roster_event")
