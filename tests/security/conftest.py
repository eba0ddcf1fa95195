"""Staff signed in to the console, for the security tests (the suite's fixtures otherwise)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
# The helpers of the gateway and console tests (the USSD and SMS clients, staff, the console
# client that signs in as a person does).
sys.path[:0] = [str(TESTS / "gateway"), str(TESTS / "console")]

from console_client import PASSWORD, Console  # noqa: E402
from leaks import WATCH  # noqa: E402
from staff import add_staff  # noqa: E402

from case_store.models import User  # noqa: E402
from case_store.passwords import hash_password  # noqa: E402


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def signed_in(app: Any, password_hash: str) -> Callable[..., Console]:
    """A console browser signed in as a new account (``add_staff``'s arguments)."""

    def sign_in(username: str, role: str, phone: str, **fields: Any) -> Console:
        user_id = add_staff(app, username, role, phone, **fields)
        with app.extensions["kinga"].sessions.begin() as session:
            session.get(User, user_id).password_hash = password_hash
        browser = Console(app.test_client())
        answer = browser.sign_in(username)
        assert answer.status_code in (302, 303), answer.get_data(as_text=True)
        return browser

    return sign_in


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The leak check runs after every other test of the session; the watch starts now."""
    last = [item for item in items if item.path.name == "test_leaks.py"]
    items[:] = [item for item in items if item.path.name != "test_leaks.py"] + last
    if last:
        WATCH.install()
