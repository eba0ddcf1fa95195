"""The transactional outbox: jobs written in the same transaction as the change they follow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime


class OutboxRow(Base):
    __tablename__ = "outbox"
    # The sweeper's query: undispatched rows, oldest first.
    __table_args__ = (Index("ix_outbox_dispatched_at_created_at", "dispatched_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(200))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxRow id={self.id} {self.job}>"
