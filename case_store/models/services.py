"""Service providers (clinic, police desk, shelter …) and the referrals sent to them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import ReferralStatus, Service

if TYPE_CHECKING:
    from case_store.models.cases import Case
    from case_store.models.users import User


# Referrals the per-minute sweep looks at: sent, unanswered, and the caseworker not yet told.
WAITING = "status = 'pending' AND unanswered_at IS NULL"


class ServiceProvider(Base):
    """An organisation referrals go to (a clinic, a police desk, a shelter), created and changed
    by ``case_store.operations.services`` (audited in ``ServiceProviderEvent``)."""

    __tablename__ = "service_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An organisation's name, not a person's.
    name: Mapped[str] = mapped_column(String(120))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Location codes served; empty means every area.
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The number referrals go to (encrypted) and SMS answers come from (hashed).
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def offers(self, service: Service, location_code: str) -> bool:
        # Column defaults apply at flush: a provider built in this transaction reads None.
        return (
            self.active is not False
            and service.value in (self.services or ())
            and (not self.areas or location_code in self.areas)
        )

    def __repr__(self) -> str:
        return f"<ServiceProvider id={self.id}>"


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (
        Index(
            "ix_referral_waiting",
            "created_at",
            "id",
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    service_provider_id: Mapped[int] = mapped_column(ForeignKey("service_provider.id"), index=True)
    service: Mapped[Service] = mapped_column(enum_column(Service))
    # What the provider quotes back by SMS to accept or decline ("R7K2QX").
    code: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the provider declined, as they wrote it (it may name people: encrypted).
    answer_reason_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The steps of an unanswered referral (``workers.referrals``), each taken once.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unanswered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)

    case: Mapped[Case] = relationship(back_populates="referrals")
    service_provider: Mapped[ServiceProvider] = relationship()
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Referral id={self.id} {self.status}>"
