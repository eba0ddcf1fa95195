"""The staff console: passwords, sign-in counters and locks, each account's console language;
who acted on a roster event; a case's open call-back request.

Existing accounts get no password (they cannot sign in until one is set: ``kinga users
password NAME``). A case whose caller asked for a call back is marked open since its latest
``callback_requested`` event: no call could be logged on it before the console.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CALLBACK_REQUESTED = "callback_requested_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("locked_until", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("last_login_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("console_language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("roster_event") as batch:
        batch.add_column(sa.Column("actor_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_roster_event_actor_user_id_staff_user"),
            "staff_user",
            ["actor_user_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_roster_event_actor_user_id"), ["actor_user_id"])
    op.add_column("case", sa.Column("callback_requested_at", TIMESTAMP, nullable=True))
    op.execute(
        """
        UPDATE "case" SET callback_requested_at = (
            SELECT MAX(case_event.at) FROM case_event
            WHERE case_event.case_id = "case".id AND case_event.kind = 'callback_requested'
        )
        WHERE status <> 'closed'
        """
    )
    op.create_index(
        "ix_case_callback_requested",
        "case",
        ["callback_requested_at", "id"],
        postgresql_where=sa.text(CALLBACK_REQUESTED),
        sqlite_where=sa.text(CALLBACK_REQUESTED),
    )


def downgrade() -> None:
    op.drop_index("ix_case_callback_requested", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("callback_requested_at")
    with op.batch_alter_table("roster_event") as batch:
        batch.drop_index(batch.f("ix_roster_event_actor_user_id"))
        batch.drop_constraint(
            batch.f("fk_roster_event_actor_user_id_staff_user"), type_="foreignkey"
        )
        batch.drop_column("actor_user_id")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("console_language")
        batch.drop_column("last_login_at")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
        batch.drop_column("password_hash")
