"""Staff users, notes, and the rest of the case: workflow, closure, consent, assignment, sync.

New case columns are nullable or have a server default, so existing cases migrate as they
are: workflow stage "new", age not estimated, Primero "not_synced". On SQLite the case and
case_event tables are rebuilt by batch mode to add their foreign keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("on_call", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_staff_user_phone_hash")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("body_encrypted", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_note_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_note_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )
    op.create_index(op.f("ix_note_author_id"), "note", ["author_id"])
    op.create_index(op.f("ix_note_case_id"), "note", ["case_id"])

    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("closure_reason", ENUM, nullable=True))
        batch.add_column(sa.Column("closed_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("workflow_stage", ENUM, server_default="new", nullable=False))
        batch.add_column(sa.Column("child_age_years", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "child_age_estimated", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(sa.Column("perpetrator_relationship", ENUM, nullable=True))
        batch.add_column(sa.Column("perpetrator_lives_with_child", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("consent_services", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("consent_share", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("acknowledged_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("primero_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("primero_sync_state", ENUM, server_default="not_synced", nullable=False)
        )
        batch.create_unique_constraint(batch.f("uq_case_primero_id"), ["primero_id"])
        batch.create_foreign_key(
            batch.f("fk_case_assigned_to_id_staff_user"), "staff_user", ["assigned_to_id"], ["id"]
        )
        batch.create_index(batch.f("ix_case_assigned_to_id"), ["assigned_to_id"])
        batch.create_index(
            "ix_case_status_location_level", ["status", "location_code", "risk_level"]
        )
        batch.create_index("ix_case_status_assign_by", ["status", "assign_by"])
        batch.create_index("ix_case_status_first_contact_by", ["status", "first_contact_by"])

    with op.batch_alter_table("case_event") as batch:
        batch.add_column(sa.Column("actor_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_case_event_actor_user_id_staff_user"),
            "staff_user",
            ["actor_user_id"],
            ["id"],
        )
        batch.create_index(batch.f("ix_case_event_actor_user_id"), ["actor_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("case_event") as batch:
        batch.drop_index(batch.f("ix_case_event_actor_user_id"))
        batch.drop_constraint(batch.f("fk_case_event_actor_user_id_staff_user"), type_="foreignkey")
        batch.drop_column("actor_user_id")

    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_status_first_contact_by")
        batch.drop_index("ix_case_status_assign_by")
        batch.drop_index("ix_case_status_location_level")
        batch.drop_index(batch.f("ix_case_assigned_to_id"))
        batch.drop_constraint(batch.f("fk_case_assigned_to_id_staff_user"), type_="foreignkey")
        batch.drop_constraint(batch.f("uq_case_primero_id"), type_="unique")
        for column in (
            "primero_sync_state",
            "primero_id",
            "acknowledged_at",
            "assigned_at",
            "assigned_to_id",
            "consent_share",
            "consent_services",
            "perpetrator_lives_with_child",
            "perpetrator_relationship",
            "child_age_estimated",
            "child_age_years",
            "workflow_stage",
            "closed_at",
            "closure_reason",
        ):
            batch.drop_column(column)

    op.drop_index(op.f("ix_note_case_id"), table_name="note")
    op.drop_index(op.f("ix_note_author_id"), table_name="note")
    op.drop_table("note")
    op.drop_table("staff_user")
