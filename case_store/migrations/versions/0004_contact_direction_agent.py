"""Contacts: direction, handling agent and the repeat-caller flag.

Existing contacts become inbound, not repeat callers, with no agent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(
            sa.Column("direction", sa.String(length=32), server_default="inbound", nullable=False)
        )
        batch.add_column(
            sa.Column("repeat_caller", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_contact_agent_id_staff_user"), "staff_user", ["agent_id"], ["id"]
        )
        batch.create_index(batch.f("ix_contact_agent_id"), ["agent_id"])


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.drop_index(batch.f("ix_contact_agent_id"))
        batch.drop_constraint(batch.f("fk_contact_agent_id_staff_user"), type_="foreignkey")
        batch.drop_column("agent_id")
        batch.drop_column("repeat_caller")
        batch.drop_column("direction")
