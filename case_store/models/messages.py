"""The message log: every SMS in and out, with its status timeline, and inbound receipts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import (
    Channel,
    Direction,
    MessageEventKind,
    MessagePurpose,
    MessageStatus,
)

if TYPE_CHECKING:
    from case_store.models.cases import Case
    from case_store.models.outbox import OutboxRow

# An outbound message no provider has accepted yet: what the unsent-message sweep reads.
UNSENT = "status = 'queued' AND provider_id IS NULL"


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (
        # Delivery receipts find their message by the provider's id.
        Index("ix_message_provider_provider_id", "provider", "provider_id"),
        # The sweep for messages whose send job died reads these, oldest first; a partial
        # index keeps it a short scan however many sent messages the log holds.
        Index(
            "ix_message_unsent_created_at",
            "created_at",
            postgresql_where=text(UNSENT),
            sqlite_where=text(UNSENT),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Our id, shown to operators and carried in status callback URLs (a UUID string).
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    # The provider that carried it; None while an outbound message waits for its first attempt.
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Blanked by retention; the hash stays for counts and opt-out checks.
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    encoding: Mapped[str | None] = mapped_column(String(8))  # "GSM-7" | "UCS-2"
    segments: Mapped[int | None]
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    cost: Mapped[str | None] = mapped_column(String(32))  # as the provider wrote it: "KES 0.8000"
    purpose: Mapped[MessagePurpose | None] = mapped_column(enum_column(MessagePurpose))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    # The outbox row of the job that sends an outbound message: what the sweep re-enqueues,
    # under the same job id, when that job died.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    # The send claim: written and committed just before a provider call, cleared in the
    # transaction that records the call's outcome. A claim left behind by a job that is gone
    # means the provider may have the message: it is never sent again automatically.
    claimed_provider: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[Case | None] = relationship()
    outbox: Mapped[OutboxRow | None] = relationship()
    timeline: Mapped[list[MessageEvent]] = relationship(
        back_populates="message", order_by="MessageEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Message {self.public_id} {self.direction} {self.status}>"


class MessageEvent(Base):
    """One line of a message's timeline. ``status`` is the canonical word, or the provider's
    own word when it is one we do not know (kept, never acted on)."""

    __tablename__ = "message_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    kind: Mapped[MessageEventKind] = mapped_column(enum_column(MessageEventKind))
    status: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    message: Mapped[Message] = relationship(back_populates="timeline")

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "status": self.status,
            "at": self.at.isoformat(),
            "provider": self.provider,
            "error": self.error,
        }


class InboundReceipt(Base):
    """Webhook idempotency: one row per provider message id, written with the message."""

    __tablename__ = "inbound_receipt"
    __table_args__ = (
        UniqueConstraint("provider", "provider_id", name="uq_inbound_receipt_provider_provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)

    message: Mapped[Message] = relationship()
