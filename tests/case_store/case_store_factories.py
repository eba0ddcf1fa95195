"""Factories for the case store tests (a uniquely named module: tests have no packages)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import suite_keys
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store.base import Base
from case_store.enums import Role
from case_store.models import User
from case_store.report_contract import Report

TEST_FERNET_KEY = suite_keys.FERNET_KEY
TEST_PHONE_HASH_KEY = suite_keys.PHONE_HASH_KEY
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PHONE = "+254712345321"

BASE_ANSWERS: dict[str, str] = {
    "danger": "no",
    "category": "neglect",
    "age_band": "5_11",
    "sex": "girl",
    "area": "047",
    "place": "Kibera, behind the water kiosk",
    "relationship": "community",
    "narrative": "The child is left alone at night and has not eaten.",
    "callback": "yes",
    "callback_time": "evening",
}

_counter = iter(range(1, 10**9))


def answers(**changes: str | None) -> dict[str, str]:
    """The base answers with ``changes`` applied; a value of None removes the key."""
    result = dict(BASE_ANSWERS)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def build_report(**overrides: Any) -> Report:
    """A valid USSD report with a fresh session id; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "channel": "ussd",
        "provider": "africastalking",
        "external_id": f"ATUid_{next(_counter):08d}",
        "phone": PHONE,
        "language": "en",
        "answers": answers(),
        "started_at": NOW.replace(minute=28),
    }
    fields.update(overrides)
    return Report(**fields)


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table, read in ``session``."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def add_user(session: Session, role: str, **fields: Any) -> User:
    """A staff user, flushed so it has an id."""
    values: dict[str, Any] = {
        "username": f"{role}-{next(_counter)}",
        "role": Role(role),
        "areas": [],
        "languages": ["en"],
        "created_at": NOW,
    }
    values.update(fields)
    user = User(**values)
    session.add(user)
    session.flush()
    return user
