"""A case: a concern about a child that someone must act on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import (
    AgeBand,
    CallbackTime,
    CaseStatus,
    Category,
    ChildSex,
    ReporterRelationship,
    RiskLevel,
)

if TYPE_CHECKING:
    from case_store.models.contacts import Contact
    from case_store.models.events import CaseEvent
    from case_store.models.reporters import Reporter


class Case(Base):
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel))
    immediate_danger: Mapped[bool]
    category: Mapped[Category] = mapped_column(enum_column(Category))
    child_age_band: Mapped[AgeBand] = mapped_column(enum_column(AgeBand))
    child_sex: Mapped[ChildSex] = mapped_column(enum_column(ChildSex))
    location_code: Mapped[str] = mapped_column(String(32))
    # Free text is stored only as Fernet ciphertext (see case_store.crypto.Vault).
    place_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_relationship: Mapped[ReporterRelationship] = mapped_column(
        enum_column(ReporterRelationship)
    )
    narrative_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    callback_consent: Mapped[bool]
    callback_time: Mapped[CallbackTime | None] = mapped_column(enum_column(CallbackTime))
    assign_by: Mapped[datetime] = mapped_column(UTCDateTime)
    first_contact_by: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The structured dialog answers as given; free-text answers are never copied here.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)

    reporter: Mapped[Reporter | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="case")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status} {self.risk_level}>"
