"""Reporters, contacts, cases and case events: the foundation slice.

Enums are plain VARCHAR(32) holding the enum values (no database enum types, no CHECK
constraints), so adding a value later needs no migration on either database.
Timestamps are timezone-aware; the model's UTCDateTime normalises them to UTC.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reporter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_reporter_phone_hash")),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=9), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("risk_level", ENUM, nullable=False),
        sa.Column("immediate_danger", sa.Boolean(), nullable=False),
        sa.Column("category", ENUM, nullable=False),
        sa.Column("child_age_band", ENUM, nullable=False),
        sa.Column("child_sex", ENUM, nullable=False),
        sa.Column("location_code", sa.String(length=32), nullable=False),
        sa.Column("place_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("reporter_relationship", ENUM, nullable=False),
        sa.Column("narrative_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("callback_consent", sa.Boolean(), nullable=False),
        sa.Column("callback_time", ENUM, nullable=True),
        sa.Column("assign_by", TIMESTAMP, nullable=False),
        sa.Column("first_contact_by", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporter.id"], name=op.f("fk_case_reporter_id_reporter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("reference", name=op.f("uq_case_reference")),
    )
    op.create_index(op.f("ix_case_reporter_id"), "case", ["reporter_id"])
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("disposition", ENUM, nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_contact_case_id_case")),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporter.id"], name=op.f("fk_contact_reporter_id_reporter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        # Webhook idempotency: one contact per provider session.
        sa.UniqueConstraint(
            "provider", "external_id", name=op.f("uq_contact_provider_external_id")
        ),
    )
    op.create_index(op.f("ix_contact_case_id"), "contact", ["case_id"])
    op.create_index(op.f("ix_contact_reporter_id"), "contact", ["reporter_id"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_event_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index(op.f("ix_case_event_case_id"), "case_event", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_event_case_id"), table_name="case_event")
    op.drop_table("case_event")
    op.drop_index(op.f("ix_contact_reporter_id"), table_name="contact")
    op.drop_index(op.f("ix_contact_case_id"), table_name="contact")
    op.drop_table("contact")
    op.drop_index(op.f("ix_case_reporter_id"), table_name="case")
    op.drop_table("case")
    op.drop_table("reporter")
