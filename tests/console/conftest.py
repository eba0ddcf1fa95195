"""Staff accounts with console passwords, a test client that signs in as a person does, and
the console served over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from case_maker import case_maker
from console_call_data import REPORTER
from console_client import PASSWORD, Console
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from case_store.operations import create_provider, create_user
from case_store.passwords import hash_password


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One Argon2 hash of ``PASSWORD`` for every account (hashing costs a tenth of a second)."""
    return hash_password(PASSWORD)


@pytest.fixture
def make_staff(app: Flask, db: sessionmaker[Session], password_hash: str) -> Callable[..., int]:
    """Create an account as ``kinga users create`` does, with the console password set."""

    def make(username: str, role: str, *, with_password: bool = True, **fields: Any) -> int:
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
            if with_password:
                user.password_hash = password_hash
            return user.id

    return make


@pytest.fixture
def make_provider(app: Flask) -> Callable[..., int]:
    """Register a service provider as ``kinga services create`` does; its id."""

    def make(
        name: str,
        *,
        phone: str,
        services: tuple[str, ...] = ("health",),
        areas: tuple[str, ...] = (),
        languages: tuple[str, ...] = ("en",),
    ) -> int:
        runtime = app.extensions["kinga"]
        with runtime.sessions.begin() as session:
            return create_provider(
                session,
                runtime.vault,
                name=name,
                services=services,
                areas=areas,
                phone=phone,
                languages=languages,
                now=datetime.now(UTC),
                known_areas={location.code for location in runtime.profile.locations},
                actor="admin_cli",
            ).id

    return make


@pytest.fixture
def console(app: Flask) -> Callable[[], Console]:
    """A new browser-like client of the console (its own cookies)."""
    return lambda: Console(app.test_client())


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free port of 127.0.0.1, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def make_case(app: Flask) -> Callable[..., str]:
    """Open a case as a USSD report does (``case_maker``); its reference."""
    return case_maker(app, REPORTER, "console-test")
