"""A contact: one USSD or SMS session (or call), whether or not it became a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import Channel, Direction, Disposition

if TYPE_CHECKING:
    from case_store.models.cases import Case
    from case_store.models.reporters import Reporter
    from case_store.models.users import User


class Contact(Base):
    __tablename__ = "contact"
    # One row per provider session: a retried webhook finds it instead of opening a second case.
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_contact_provider_external_id"),
        # The daily counts: the contacts of a range of days.
        Index("ix_contact_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    direction: Mapped[Direction] = mapped_column(
        enum_column(Direction), default=Direction.INBOUND, server_default="inbound"
    )
    provider: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(16))
    disposition: Mapped[Disposition | None] = mapped_column(enum_column(Disposition))
    # True when this reporter had contacted us before; helplines track repeat callers.
    repeat_caller: Mapped[bool] = mapped_column(default=False, server_default=false())
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)
    # The hotline agent who handled a call; None for self-service USSD and SMS.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)

    reporter: Mapped[Reporter | None] = relationship()
    agent: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<Contact id={self.id} {self.channel} {self.provider}>"
