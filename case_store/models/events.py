"""The audit trails: one append-only row per change to a case, per change to a staff account
(the roster: who may act, and who is told), and per change to a service provider (who cases
are referred to)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import EventKind, RosterEventKind, ServiceProviderEventKind

if TYPE_CHECKING:
    from case_store.models.cases import Case
    from case_store.models.services import ServiceProvider
    from case_store.models.users import User


class AuditError(RuntimeError):
    """An attempt to rewrite or delete history."""


class CaseEvent(Base):
    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    # Who acted: "reporter", "system", or "user" with actor_user_id naming the staff member.
    actor: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"before": {...} | None, "after": {...}} with non-personal fields only.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    case: Mapped[Case] = relationship(back_populates="events")
    actor_user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CaseEvent id={self.id} {self.kind} by {self.actor}>"


class RosterEvent(Base):
    __tablename__ = "roster_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    kind: Mapped[RosterEventKind] = mapped_column(enum_column(RosterEventKind))
    # Who acted: "admin_cli" for the command line, "user" with actor_user_id naming the staff
    # member (in the console; the account itself when it signs in or out), "system" otherwise.
    actor: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"before": {...} | None, "after": {...}}: roles, areas, windows; never a phone number,
    # never a password or its hash.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor_user: Mapped[User | None] = relationship(foreign_keys=[actor_user_id])

    def __repr__(self) -> str:
        return f"<RosterEvent id={self.id} {self.kind} by {self.actor}>"


class ServiceProviderEvent(Base):
    __tablename__ = "service_provider_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_provider_id: Mapped[int] = mapped_column(ForeignKey("service_provider.id"), index=True)
    kind: Mapped[ServiceProviderEventKind] = mapped_column(enum_column(ServiceProviderEventKind))
    # Who acted: "user" (a staff member, ``actor_user_id``: the console), "admin_cli" for the
    # command line, "system" otherwise.
    actor: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"before": {...} | None, "after": {...}}: services, areas, languages; never the number.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    service_provider: Mapped[ServiceProvider] = relationship()
    actor_user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ServiceProviderEvent id={self.id} {self.kind} by {self.actor}>"


Trail = CaseEvent | RosterEvent | ServiceProviderEvent


def _refuse_update(_mapper: Mapper[Any], _conn: Any, target: Trail) -> None:
    raise AuditError(f"{target.__tablename__} rows are append-only (event {target.id})")


def _refuse_delete(_mapper: Mapper[Any], _conn: Any, target: Trail) -> None:
    raise AuditError(f"{target.__tablename__} rows are append-only (event {target.id})")


for _trail in (CaseEvent, RosterEvent, ServiceProviderEvent):
    event.listen(_trail, "before_update", _refuse_update)
    event.listen(_trail, "before_delete", _refuse_delete)
