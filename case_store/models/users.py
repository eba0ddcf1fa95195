"""Staff who act on cases: hotline agents, caseworkers, supervisors, administrators."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    # On call now, whatever the windows say (a supervisor covering a gap).
    on_call: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The staff console's sign-in (case_store.passwords): an Argon2id hash; None means the
    # account works by SMS only and cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Wrong passwords in a row; at the limit the account is locked until ``locked_until``.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The console's language, chosen by the user; None: the deployment's default. (Alerts go
    # in ``languages[0]``: a work phone and a screen may well be read in different languages.)
    console_language: Mapped[str | None] = mapped_column(String(16))
    # The account's user name in Primero: a case assigned to this account is assigned to
    # that user there too. None: not a Primero user.
    primero_user: Mapped[str | None] = mapped_column(String(64), unique=True)

    on_call_windows: Mapped[list[OnCallWindow]] = relationship(
        back_populates="user", order_by="OnCallWindow.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User id={self.id} {self.role}>"


class OnCallWindow(Base):
    """A weekly on-call slot in the deployment's local time. ``ends <= starts`` runs past
    midnight into the next day."""

    __tablename__ = "on_call_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    weekday: Mapped[int]  # Monday 0 … Sunday 6, as datetime.weekday()
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    user: Mapped[User] = relationship(back_populates="on_call_windows")

    def covers(self, local: datetime) -> bool:
        """Whether this window covers the naive-or-aware local time ``local``."""
        moment, day = local.time().replace(tzinfo=None), local.weekday()
        if self.starts < self.ends:
            return day == self.weekday and self.starts <= moment < self.ends
        return (day == self.weekday and moment >= self.starts) or (
            day == (self.weekday + 1) % 7 and moment < self.ends
        )
