"""Bearer tokens of the JSON API: made and revoked on the account's own trail (``RosterEvent``).

A person makes and revokes their own tokens; revoking someone else's needs the right to
manage accounts (an administrator). The trail keeps the token's id, name and expiry, never the
secret or its hash. Using a token is not audited (what it did is, as any staff action is).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.api_tokens import MAX_NAME, new_secret, secret_hash
from case_store.columns import as_utc
from case_store.enums import RosterEventKind
from case_store.models import ApiToken, User
from case_store.operations.audit import iso, record_roster_event
from case_store.permissions import Action, check_role


class InvalidToken(ValueError):
    """A token that cannot be made: no name, a name too long, an expiry in the past, or an
    account that is deactivated."""


def create_token(
    session: Session,
    user: User,
    *,
    name: str,
    now: datetime,
    actor: str | User,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, to be shown once. A staff ``actor`` makes
    tokens for themselves only."""
    if isinstance(actor, User) and actor.id != user.id:
        check_role(actor, Action.MANAGE_USERS)
    now = as_utc(now, "now")
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidToken(f"a token's name is 1 to {MAX_NAME} characters")
    if expires_at is not None and as_utc(expires_at, "expires_at") <= now:
        raise InvalidToken("a token's expiry must be in the future")
    if not user.active:
        raise InvalidToken(f"user {user.id} is deactivated")
    secret = new_secret()
    token = ApiToken(
        user=user,
        name=name,
        secret_hash=secret_hash(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    after = {"token_id": token.id, "name": name, "expires_at": iso(expires_at)}
    record_roster_event(session, user, RosterEventKind.TOKEN_CREATED, actor, now, None, after)
    return token, secret


def revoke_token(
    session: Session, token: ApiToken, *, now: datetime, actor: str | User
) -> ApiToken | None:
    """Revoke ``token`` at once; None when it was revoked already. A staff ``actor`` other than
    its holder must be allowed to manage accounts."""
    if isinstance(actor, User) and actor.id != token.user_id:
        check_role(actor, Action.MANAGE_USERS)
    if token.revoked_at is not None:
        return None
    token.revoked_at = as_utc(now, "now")
    after = {"token_id": token.id, "name": token.name}
    record_roster_event(session, token.user, RosterEventKind.TOKEN_REVOKED, actor, now, None, after)
    return token


def record_token_use(token: ApiToken, now: datetime) -> None:
    """When the token was last used (shown to its holder; not audited)."""
    token.last_used_at = as_utc(now, "now")
