"""Primero sync: per case its error, attempts, last attempt, the changes still to send, the
Primero user it is assigned to there and the latest webhook applied; a Primero user name per
staff account; the sync's stop flag and backfill cursor.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("primero_error", sa.String(length=500), nullable=True))
        batch.add_column(
            sa.Column("primero_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("primero_last_attempt_at", TIMESTAMP, nullable=True))
        batch.add_column(
            sa.Column("primero_revision", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("primero_synced_revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("primero_assigned_user", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("primero_updated_at", TIMESTAMP, nullable=True))
        batch.create_index("ix_case_primero_sync_state", ["primero_sync_state"])
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("primero_user", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_staff_user_primero_user"), ["primero_user"])
    op.create_table(
        "primero_control",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_primero_control")),
    )


def downgrade() -> None:
    op.drop_table("primero_control")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint(batch.f("uq_staff_user_primero_user"), type_="unique")
        batch.drop_column("primero_user")
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_primero_sync_state")
        batch.drop_column("primero_updated_at")
        batch.drop_column("primero_assigned_user")
        batch.drop_column("primero_synced_revision")
        batch.drop_column("primero_revision")
        batch.drop_column("primero_last_attempt_at")
        batch.drop_column("primero_attempts")
        batch.drop_column("primero_error")
