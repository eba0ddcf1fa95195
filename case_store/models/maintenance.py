"""Runs of maintenance work (key rotation, retention): progress to resume, counts to audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import MaintenanceKind


class MaintenanceRun(Base):
    __tablename__ = "maintenance_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MaintenanceKind] = mapped_column(enum_column(MaintenanceKind), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Key rotation: {"<table>": last id done}. Retention: the periods applied.
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Rows changed per table or data kind; never any personal value.
    counts: Mapped[dict[str, int]] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<MaintenanceRun id={self.id} {self.kind}>"
