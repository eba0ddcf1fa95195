"""Staff accounts: created by an administrator, found by their work phone when they text.

The work phone is kept as a keyed hash (to recognise SMS replies) and as Fernet ciphertext (to
send alerts); never in clear. Accounts are created and changed by the roster operations
(``case_store.operations.roster``, audited); this module checks and finds them. Functions take
the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from case_store.crypto import Vault
from case_store.enums import Role
from case_store.models import User

MAX_USERNAME = 64
DEFAULT_LANGUAGE = "en"

__all__ = [
    "DuplicateUser",
    "InvalidUser",
    "check_phone_free",
    "find_staff_by_phone",
    "find_user",
    "list_users",
    "parse_role",
    "staff_language",
]


class InvalidUser(ValueError):
    """A user the store cannot create; the text names the field, never a phone number."""


class DuplicateUser(InvalidUser):
    """The username or the phone number already belongs to a user."""


def parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidUser(f"role must be one of: {choices}") from None


def check_phone_free(
    session: Session, vault: Vault, phone: str, *, user_id: int | None = None
) -> str:
    """The hash of ``phone`` when no user but ``user_id`` has it; ``DuplicateUser`` otherwise."""
    phone_hash = vault.phone_hash(phone)
    holder = session.scalar(select(User.id).where(User.phone_hash == phone_hash))
    if holder is not None and holder != user_id:
        raise DuplicateUser("that phone number belongs to another user")
    return phone_hash


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
