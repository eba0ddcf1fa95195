"""What an API token is: a random secret with a recognisable prefix, kept only as its SHA-256.

The secret is shown once, when made (``kinga tokens create``, the console's token page); the
case store keeps its hash, so a copy of the database gives nobody a working token. A plain hash
is enough: the secret is 256 random bits, not a password someone chose. The prefix lets secret
scanners and people recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Final

from case_store.columns import as_utc
from case_store.models import ApiToken

PREFIX: Final = "kinga_"
_SECRET_BYTES: Final = 32
# The prefix, then token_urlsafe's alphabet; anything else is refused before any look-up.
_SHAPE: Final = re.compile(r"kinga_[A-Za-z0-9_-]{43}")
MAX_NAME: Final = 64


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def well_formed(secret: str) -> bool:
    return _SHAPE.fullmatch(secret) is not None


def usable(token: ApiToken, now: datetime) -> bool:
    """Not revoked, not expired, and its account still active."""
    if token.revoked_at is not None or not token.user.active:
        return False
    return token.expires_at is None or as_utc(token.expires_at) > as_utc(now, "now")
