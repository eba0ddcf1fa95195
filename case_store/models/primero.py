"""The Primero sync's own state, one row per name: whether the queue is stopped, and the
backfill's cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime

STOPPED = "stopped"  # value: {"status": the HTTP status that stopped it}
BACKFILL = "backfill"  # value: {"after_id": the last case id the backfill finished}


class PrimeroControl(Base):
    __tablename__ = "primero_control"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<PrimeroControl {self.name}>"
