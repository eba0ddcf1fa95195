"""Staff who act on cases: hotline agents, caseworkers, supervisors, administrators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from case_store.base import Base
from case_store.columns import UTCDateTime, enum_column
from case_store.enums import Role


class User(Base):
    # "user" is a reserved word in PostgreSQL; a distinct name keeps hand-written SQL simple.
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    # The work phone, hashed to recognise SMS replies and encrypted to send alerts.
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Location codes this user works in; empty means every area.
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    on_call: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User id={self.id} {self.role}>"
