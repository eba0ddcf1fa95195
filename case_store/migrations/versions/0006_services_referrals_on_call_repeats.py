"""Service providers, referrals, on-call windows; repeat-report links and merges on cases.

Existing cases get no repeat link and are not merged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_provider")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_service_provider_phone_hash")),
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("service_provider_id", sa.Integer(), nullable=False),
        sa.Column("service", ENUM, nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_referral_case_id_case")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"], name=op.f("fk_referral_created_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["service_provider_id"],
            ["service_provider.id"],
            name=op.f("fk_referral_service_provider_id_service_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_code")),
    )
    op.create_index(op.f("ix_referral_case_id"), "referral", ["case_id"])
    op.create_index(op.f("ix_referral_created_by_id"), "referral", ["created_by_id"])
    op.create_index(op.f("ix_referral_service_provider_id"), "referral", ["service_provider_id"])
    op.create_table(
        "on_call_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_on_call_window_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_call_window")),
    )
    op.create_index(op.f("ix_on_call_window_user_id"), "on_call_window", ["user_id"])
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("repeat_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("repeat_reason", ENUM, nullable=True))
        batch.add_column(sa.Column("repeat_confirmed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_case_repeat_of_id_case"), "case", ["repeat_of_id"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_case_merged_into_id_case"), "case", ["merged_into_id"], ["id"]
        )
        batch.create_index(batch.f("ix_case_repeat_of_id"), ["repeat_of_id"])
        batch.create_index(batch.f("ix_case_merged_into_id"), ["merged_into_id"])
        # Repeat detection: recent open cases about the same area and category.
        batch.create_index(
            "ix_case_location_category_created", ["location_code", "category", "created_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_index("ix_case_location_category_created")
        batch.drop_index(batch.f("ix_case_merged_into_id"))
        batch.drop_index(batch.f("ix_case_repeat_of_id"))
        batch.drop_constraint(batch.f("fk_case_merged_into_id_case"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_case_repeat_of_id_case"), type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("repeat_confirmed")
        batch.drop_column("repeat_reason")
        batch.drop_column("repeat_of_id")
    op.drop_index(op.f("ix_on_call_window_user_id"), table_name="on_call_window")
    op.drop_table("on_call_window")
    op.drop_index(op.f("ix_referral_service_provider_id"), table_name="referral")
    op.drop_index(op.f("ix_referral_created_by_id"), table_name="referral")
    op.drop_index(op.f("ix_referral_case_id"), table_name="referral")
    op.drop_table("referral")
    op.drop_table("service_provider")
