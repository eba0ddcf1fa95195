"""Service providers managed in the console: a provider's audit event names the staff member
who acted, as a roster event does.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_provider_event") as batch:
        batch.add_column(sa.Column("actor_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_service_provider_event_actor_user_id_staff_user"),
            "staff_user",
            ["actor_user_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_service_provider_event_actor_user_id"), ["actor_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("service_provider_event") as batch:
        batch.drop_index(batch.f("ix_service_provider_event_actor_user_id"))
        batch.drop_constraint(
            batch.f("fk_service_provider_event_actor_user_id_staff_user"), type_="foreignkey"
        )
        batch.drop_column("actor_user_id")
