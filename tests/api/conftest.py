"""Staff accounts with API tokens, cases to work on, and a client that sends the token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from case_maker import case_maker
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from case_store.operations import create_user
from case_store.operations.api_tokens import create_token

REPORTER = "+254712000111"


@dataclass(frozen=True)
class Caller:
    """A client of the API with one account's token."""

    client: FlaskClient
    token: str
    user_id: int

    def headers(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **more}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(**kwargs.pop("headers", {})), **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(**kwargs.pop("headers", {}))
        return self.client.post(path, json=body, headers=headers, **kwargs)

    def update(self, reference: str, action: str, body: Any = None) -> Any:
        """An update sent with the case's current ETag."""
        tag = self.get(f"/api/v1/cases/{reference}").headers["ETag"]
        return self.post(f"/api/v1/cases/{reference}/{action}", body, headers={"If-Match": tag})


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., int]:
    """Create an account as ``kinga users create`` does; its id."""

    def make(username: str, role: str, **fields: Any) -> int:
        runtime = app.extensions["kinga"]
        with runtime.sessions.begin() as session:
            user = create_user(
                session,
                runtime.vault,
                username=username,
                role=role,
                phone=fields.pop("phone", None),
                now=datetime.now(UTC),
                **fields,
            )
            return user.id

    return make


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """A token for the account ``user_id`` (expiring in ``expires_in`` when given)."""

    def make(user_id: int, *, name: str = "tests", expires_in: timedelta | None = None) -> str:
        from case_store.models import User

        runtime = app.extensions["kinga"]
        now = datetime.now(UTC)
        with runtime.sessions.begin() as session:
            user = session.get(User, user_id)
            expires_at = None if expires_in is None else now + expires_in
            _token, secret = create_token(
                session, user, name=name, now=now, actor="tests", expires_at=expires_at
            )
            return secret

    return make


@pytest.fixture
def caller(
    app: Flask, make_staff: Callable[..., int], make_token: Callable[..., str]
) -> Callable[..., Caller]:
    """An account with a token, and a client that sends it."""

    def make(username: str, role: str, **fields: Any) -> Caller:
        user_id = make_staff(username, role, **fields)
        return Caller(app.test_client(), make_token(user_id), user_id)

    return make


@pytest.fixture
def make_case(app: Flask) -> Callable[..., str]:
    """Open a case as a USSD report does (``case_maker``); its reference."""
    return case_maker(app, REPORTER, "api-test")


@pytest.fixture
def rows(db: sessionmaker[Session]) -> Callable[[], dict[str, int]]:
    """How many rows the tables the API may write hold."""
    from sqlalchemy import func, select

    from case_store.models import ApiToken, Case, CaseEvent, Contact, Note, Referral, RosterEvent

    def count() -> dict[str, int]:
        with db() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Case, CaseEvent, Contact, Note, Referral, RosterEvent, ApiToken)
            }

    return count
