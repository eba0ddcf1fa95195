"""Staff accounts, found by name or by their work phone when they text, and the language
their texts go in.

The work phone is kept as a keyed hash (to recognise SMS replies) and as Fernet ciphertext (to
send alerts); never in clear. Accounts are created, checked and changed by the roster
operations (``case_store.operations.roster``, audited).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from case_store.crypto import Vault
from case_store.models import User

DEFAULT_LANGUAGE = "en"


def find_staff_by_phone(session: Session, vault: Vault, phone: str) -> User | None:
    """The user whose work phone is ``phone``, active or deactivated (callers check
    ``User.active``: a deactivated user's commands are refused), or None."""
    return session.scalars(
        select(User).where(User.phone_hash == vault.phone_hash(phone))
    ).one_or_none()


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip())).one_or_none()


def list_users(session: Session) -> list[User]:
    query = select(User).options(selectinload(User.on_call_windows)).order_by(User.username)
    return list(session.scalars(query))


def staff_language(user: User, enabled: Iterable[str]) -> str:
    """The one language staff texts go to ``user`` in: their first, if the deployment has it."""
    first = user.languages[0] if user.languages else DEFAULT_LANGUAGE
    return first if first in set(enabled) else DEFAULT_LANGUAGE
