"""Console passwords: Argon2id hashes, what a new password must be, and the lock-out rule.

Hashes are argon2-cffi's defaults (Argon2id, RFC 9106's low-memory profile); a hash made with
older parameters is replaced at the next sign-in (``needs_rehash``). Checking a password for an
account that has none (or does not exist) still runs one verification against a fixed hash, so
the answer takes as long whether or not the account exists.

After ``MAX_FAILED_LOGINS`` wrong passwords in a row an account is locked for
``LOCK_DURATION``: a correct password is refused until then, and an administrator may unlock it
sooner (``case_store.operations.accounts``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD: Final = 10
MAX_PASSWORD: Final = 128
MAX_FAILED_LOGINS: Final = 5
LOCK_DURATION: Final = timedelta(minutes=15)

_HASHER: Final = PasswordHasher()


class InvalidPassword(ValueError):
    """A new password the rules refuse; the message never repeats it."""


def check_new_password(password: str, *, username: str) -> None:
    """Raise ``InvalidPassword`` unless ``password`` may be set for ``username``."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidPassword(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.strip().casefold() == username.strip().casefold():
        raise InvalidPassword("a password must not be the username")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@cache
def _stand_in() -> str:
    """A hash to verify against when there is no account to check: same cost, never matches
    a password anyone could type in the console (no form accepts one this long)."""
    return _HASHER.hash("x" * (MAX_PASSWORD + 1))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (None: no password; always False)."""
    try:
        return _HASHER.verify(password_hash or _stand_in(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
