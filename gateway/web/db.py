"""One database session per request of the console and the JSON API, opened on first use
and closed at its end (``init_app`` registers that).

A view commits what it writes (operations never commit); whatever is left uncommitted when
the request ends, by an error or a refusal, is rolled back with the session.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from gateway.runtime import runtime

_KEY = "kinga_db"


def db() -> Session:
    session: Session | None = g.get(_KEY)
    if session is None:
        session = runtime().sessions()
        setattr(g, _KEY, session)
    return session


def close_db(_error: BaseException | None = None) -> None:
    session: Session | None = g.pop(_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
