"""Staff accounts: created by an administrator, found by their work phone when they text.

The work phone is kept as a keyed hash (to recognise SMS replies) and as Fernet ciphertext (to
send alerts); never in clear. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.enums import Role
from case_store.models import User

MAX_USERNAME = 64
DEFAULT_LANGUAGE = "en"

__all__ = [
    "DuplicateUser",
    "InvalidUser",
    "create_user",
    "find_staff_by_phone",
    "list_users",
    "staff_language",
]


class InvalidUser(ValueError):
    """A user the store cannot create; the text names the field, never a phone number."""


class DuplicateUser(InvalidUser):
    """The username or the phone number already belongs to a user."""


def create_user(
    session: Session,
    vault: Vault,
    *,
    username: str,
    role: Role | str,
    phone: str | None,
    now: datetime,
    areas: Iterable[str] = (),
    languages: Iterable[str] = (),
    on_call: bool = False,
) -> User:
    """A new active user; ``phone`` must already be in E.164 form (checked at the edge).

    Refuses a username or a phone number that another user has, before writing anything. Two
    concurrent creations of the same name both pass the look-up; the second flush raises
    ``sqlalchemy.exc.IntegrityError`` on the unique constraint.
    """
    name = username.strip()
    if not name or len(name) > MAX_USERNAME or any(c.isspace() for c in name):
        raise InvalidUser(f"a username has 1 to {MAX_USERNAME} characters and no spaces")
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidUser(f"role must be one of: {choices}") from None
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise DuplicateUser(f"a user named {name!r} exists already")
    phone_hash = None
    if phone is not None:
        phone_hash = vault.phone_hash(phone)
        if session.scalar(select(User.id).where(User.phone_hash == phone_hash)) is not None:
            raise DuplicateUser("that phone number belongs to another user")
    user = User(
        username=name,
        role=role,
        phone_hash=phone_hash,
        phone_encrypted=None if phone is None else vault.encrypt(phone),
        areas=sorted(set(areas)),
        languages=list(dict.fromkeys(languages)) or [DEFAULT_LANGUAGE],
        on_call=on_call,
        active=True,
        created_at=as_utc(now, "now"),
    )
    session.add(user)
    session.flush()
    return user


def find_staff_by_phone(session: Session, vault: Vault, phone: str) -> User | None:
    """The active user whose work phone is ``phone``, or None (a reporter, or a former user)."""
    return session.scalars(
        select(User).where(User.phone_hash == vault.phone_hash(phone), User.active.is_(True))
    ).one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def staff_language(user: User, enabled: Iterable[str]) -> str:
    """The one language staff texts go to ``user`` in: their first, if the deployment has it."""
    first = user.languages[0] if user.languages else DEFAULT_LANGUAGE
    return first if first in set(enabled) else DEFAULT_LANGUAGE
