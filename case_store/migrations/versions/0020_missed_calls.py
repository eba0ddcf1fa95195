"""Missed ("flash") calls to the hotline: call-back requests that belong to no case yet.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
OPEN = "closed_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "missed_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column(
            "reporter_id",
            sa.Integer(),
            sa.ForeignKey("reporter.id", name="fk_missed_call_reporter_id_reporter"),
            nullable=False,
        ),
        sa.Column("called_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contact.id", name="fk_missed_call_contact_id_contact"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_missed_call"),
        sa.UniqueConstraint("provider", "external_id", name="uq_missed_call_provider_external_id"),
    )
    op.create_index(
        "ix_missed_call_reporter_called_at", "missed_call", ["reporter_id", "called_at"]
    )
    op.create_index(
        "ix_missed_call_open",
        "missed_call",
        ["called_at", "id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_missed_call_open", table_name="missed_call")
    op.drop_index("ix_missed_call_reporter_called_at", table_name="missed_call")
    op.drop_table("missed_call")
