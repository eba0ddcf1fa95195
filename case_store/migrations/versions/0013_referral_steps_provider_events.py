"""Service providers' audit trail; a referral's decline reason and its unanswered steps.

Existing referrals have not been reminded nor reported unanswered: the sweep takes them up
(those already past the profile's times get their step on its first run).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)
WAITING = "status = 'pending' AND unanswered_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "service_provider_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_provider_id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_provider_id"],
            ["service_provider.id"],
            name=op.f("fk_service_provider_event_service_provider_id_service_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_provider_event")),
    )
    op.create_index(
        op.f("ix_service_provider_event_service_provider_id"),
        "service_provider_event",
        ["service_provider_id"],
    )
    # Plain ADD COLUMN on both databases: nullable, no default, no table rebuild.
    op.add_column("referral", sa.Column("answer_reason_encrypted", sa.LargeBinary(), nullable=True))
    op.add_column("referral", sa.Column("reminded_at", TIMESTAMP, nullable=True))
    op.add_column("referral", sa.Column("unanswered_at", TIMESTAMP, nullable=True))
    op.create_index(
        "ix_referral_waiting",
        "referral",
        ["created_at", "id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_referral_waiting", table_name="referral")
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("unanswered_at")
        batch.drop_column("reminded_at")
        batch.drop_column("answer_reason_encrypted")
    op.drop_index(
        op.f("ix_service_provider_event_service_provider_id"), table_name="service_provider_event"
    )
    op.drop_table("service_provider_event")
