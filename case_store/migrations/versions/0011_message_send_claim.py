"""The send claim and the outbox row of each outbound message, for the unsent-message sweep.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSENT = "status = 'queued' AND provider_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_provider", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_message_outbox_id_outbox"), "outbox", ["outbox_id"], ["id"]
        )
    op.create_index(
        "ix_message_unsent_created_at",
        "message",
        ["created_at"],
        postgresql_where=sa.text(UNSENT),
        sqlite_where=sa.text(UNSENT),
    )


def downgrade() -> None:
    op.drop_index("ix_message_unsent_created_at", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.drop_constraint(op.f("fk_message_outbox_id_outbox"), type_="foreignkey")
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_provider")
        batch.drop_column("outbox_id")
