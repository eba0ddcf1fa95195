"""The message log (messages, their status timeline) and inbound receipts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("direction", ENUM, nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("body_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("cost", sa.String(length=32), nullable=True),
        sa.Column("purpose", ENUM, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_message_case_id_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("public_id", name=op.f("uq_message_public_id")),
    )
    op.create_index("ix_message_provider_provider_id", "message", ["provider", "provider_id"])
    op.create_index(op.f("ix_message_phone_hash"), "message", ["phone_hash"])
    op.create_index(op.f("ix_message_case_id"), "message", ["case_id"])
    op.create_index(op.f("ix_message_created_at"), "message", ["created_at"])
    op.create_table(
        "message_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_message_event_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_event")),
    )
    op.create_index(op.f("ix_message_event_message_id"), "message_event", ["message_id"])
    op.create_table(
        "inbound_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_inbound_receipt_message_id_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_receipt")),
        sa.UniqueConstraint(
            "provider", "provider_id", name=op.f("uq_inbound_receipt_provider_provider_id")
        ),
    )
    op.create_index(op.f("ix_inbound_receipt_message_id"), "inbound_receipt", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_receipt_message_id"), table_name="inbound_receipt")
    op.drop_table("inbound_receipt")
    op.drop_index(op.f("ix_message_event_message_id"), table_name="message_event")
    op.drop_table("message_event")
    op.drop_index(op.f("ix_message_created_at"), table_name="message")
    op.drop_index(op.f("ix_message_case_id"), table_name="message")
    op.drop_index(op.f("ix_message_phone_hash"), table_name="message")
    op.drop_index("ix_message_provider_provider_id", table_name="message")
    op.drop_table("message")
