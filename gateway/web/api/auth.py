"""Who is calling: a bearer token per staff account, and the role check every endpoint makes.

Only the ``Authorization: Bearer kinga_…`` header is read: no cookie, so no CSRF token either
(a browser cannot be made to send the header to another site). A missing, malformed, unknown,
revoked or expired token, or one whose account is deactivated, is answered 401 before the
view runs, and nothing is written. A role that does not allow what is asked is answered 403
and the refusal is recorded on the account's trail, as in the console.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, Final, NoReturn, ParamSpec, TypeVar

from flask import g, request

from case_store.api_tokens import usable
from case_store.models import User
from case_store.operations import record_refusal
from case_store.operations.api_tokens import record_token_use
from case_store.permissions import Action, role_allows
from case_store.queries.api_tokens import find_token
from gateway.web.api.errors import fail
from gateway.web.db import db

P = ParamSpec("P")
R = TypeVar("R")

_USER: Final = "kinga_api_user"
# A token's last use is written at most this often (not one write per request).
USE_RESOLUTION: Final = timedelta(minutes=1)
CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="kinga"'}
REFUSED: Final = "Your role, areas or assignment do not allow this."


def authenticate() -> None:
    """Before every API view: the token's account becomes the caller (``caller()``)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        fail(401, "unauthorized", "Send a token: Authorization: Bearer kinga_…", CHALLENGE)
    session = db()
    now = datetime.now(UTC)
    token = find_token(session, secret.strip())
    if token is None or not usable(token, now):
        challenge = {"WWW-Authenticate": 'Bearer realm="kinga", error="invalid_token"'}
        fail(401, "invalid_token", "The token is unknown, revoked or expired.", challenge)
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        record_token_use(token, now)
        session.commit()
    setattr(g, _USER, token.user)


def caller() -> User:
    user: User = getattr(g, _USER)
    return user


def refuse(action: Action, **target: Any) -> NoReturn:
    """Record that the caller was refused ``action`` (on ``target``) and answer 403; whatever
    the request had written is dropped first."""
    session = db()
    session.rollback()
    record_refusal(
        session,
        caller(),
        action.value,
        now=datetime.now(UTC),
        target={"api": request.endpoint, **target},
    )
    session.commit()
    fail(403, "forbidden", REFUSED)


def requires(action: Action) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Serve the view only to roles ``case_store.permissions`` allows ``action`` (checked
    before the request is read)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not role_allows(caller(), action):
                refuse(action)
            return view(*args, **kwargs)

        return guarded

    return decorate
