"""The audit trail: one append-only row per change to a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import EventKind

if TYPE_CHECKING:
    from case_store.models.cases import Case
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


@event.listens_for(CaseEvent, "before_update")
def _refuse_update(_mapper: Mapper[CaseEvent], _conn: Any, target: CaseEvent) -> None:
    raise AuditError(f"case events are append-only (event {target.id})")


@event.listens_for(CaseEvent, "before_delete")
def _refuse_delete(_mapper: Mapper[CaseEvent], _conn: Any, target: CaseEvent) -> None:
    raise AuditError(f"case events are append-only (event {target.id})")
