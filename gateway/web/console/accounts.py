"""Signed-in staff: Flask-Login's session glue, and the role check every page goes through.

The session cookie names the account by id and a token derived from its password hash, so
setting a new password signs out every browser the old one was used in; a deactivated account
or one without a password is signed out at its next request. Nothing else about the account is
kept in the cookie.

``requires(action)`` guards a view with ``case_store.permissions``: a role that does not allow
``action`` is refused with 403, and the refusal is recorded on the account's trail.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import LoginManager, UserMixin, current_user

from case_store.models import User
from case_store.operations import record_refusal
from case_store.permissions import Action, role_allows
from gateway.web.db import db

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
login_manager.login_view = "console.auth.login"
# The sign-in page says why it was shown; Flask-Login's own message would be English only.
login_manager.login_message = ""


class Account(UserMixin):  # type: ignore[misc]
    """What Flask-Login holds for a signed-in request: the staff member's row."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{session_token(self.user)}"


def session_token(user: User) -> str:
    """Changes whenever the password does (never the hash itself: the cookie is only signed)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256).hexdigest()[:20]


def _load(account_id: str) -> Account | None:
    user_id, _, token = account_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.password_hash is None:
        return None
    if not hmac.compare_digest(token, session_token(user)):
        return None
    return Account(user)


login_manager.user_loader(_load)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def staff() -> User:
    """The signed-in staff member (the console's guard lets no one else reach a view)."""
    user: User = current_user.user
    return user


def client_address() -> str:
    return request.remote_addr or "unknown"


def refuse(action: str, **target: Any) -> None:
    """Record that the signed-in account was refused ``action`` (on ``target``), and answer
    403. Whatever the request had written is dropped first."""
    record_refused(action, **target)
    abort(403)


def record_refused(action: str, **target: Any) -> None:
    """Put on the signed-in account's trail that it was refused ``action`` (on ``target``);
    whatever the request had written is dropped first."""
    session = db()
    session.rollback()
    record_refusal(
        session,
        staff(),
        action,
        now=datetime.now(UTC),
        target={"page": request.endpoint, **target},
    )
    session.commit()


def requires(action: Action) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Serve the view only to roles ``case_store.permissions`` allows ``action``."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not role_allows(staff(), action):
                refuse(action.value)
            return view(*args, **kwargs)

        return guarded

    return decorate
