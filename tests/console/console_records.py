"""Reads of what the console wrote, for assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from case_store.models import (
    Case,
    Contact,
    Note,
    RosterEvent,
    ServiceProvider,
    ServiceProviderEvent,
    User,
)


def trail(db: sessionmaker[Session], username: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, after) of every event on the account's trail, oldest first."""
    with db() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        events = session.scalars(
            select(RosterEvent).where(RosterEvent.user_id == user.id).order_by(RosterEvent.id)
        )
        return [(event.kind.value, event.data["after"]) for event in events]


def kinds(db: sessionmaker[Session], username: str) -> list[str]:
    return [kind for kind, _after in trail(db, username)]


def counts(db: sessionmaker[Session]) -> dict[str, int]:
    """How many rows the tables a console action may write hold."""
    with db() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                Case,
                Contact,
                Note,
                User,
                RosterEvent,
                ServiceProvider,
                ServiceProviderEvent,
            )
        }


def user_row(db: sessionmaker[Session], username: str) -> User:
    with db() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        session.expunge(user)
        return user
