"""A missed ("flash") call to the hotline: someone without airtime asking to be called back.

It belongs to no case yet. The caller is a reporter row like any other (known by the keyed
hash of the number, the number itself kept encrypted: a flash is a request to be called back),
and the request stays open until an agent logs a call with that number.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime

if TYPE_CHECKING:
    from case_store.models.reporters import Reporter

MISSED_CALL = "missed_call"  # the channel a call-back request came by, on the console's list
OPEN = "closed_at IS NULL"


class MissedCall(Base):
    __tablename__ = "missed_call"
    __table_args__ = (
        # One row per provider call: a retried webhook finds it.
        UniqueConstraint("provider", "external_id", name="uq_missed_call_provider_external_id"),
        # The de-duplication: a number's latest missed call.
        Index("ix_missed_call_reporter_called_at", "reporter_id", "called_at"),
        # The console's list: the open requests, longest waiting first.
        Index(
            "ix_missed_call_open",
            "called_at",
            "id",
            postgresql_where=text(OPEN),
            sqlite_where=text(OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporter.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The call an agent logged that answered it.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))

    reporter: Mapped[Reporter] = relationship()

    def __repr__(self) -> str:
        return f"<MissedCall id={self.id} {self.provider}>"
