"""Fake SMS providers over real HTTP on 127.0.0.1, and the fixtures that run them.

Use them from any test folder's ``conftest.py``::

    from fakes import fake_africastalking, fake_twilio, no_internet  # noqa: F401

The credentials are made up and distinctive, so tests can look for them in logs and errors.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from fakes.africastalking import FakeAfricasTalking
from fakes.server import FakeServer, Recorded, Reply
from fakes.twilio import FakeTwilio

__all__ = [
    "AT_API_KEY",
    "AT_USERNAME",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "FakeAfricasTalking",
    "FakeServer",
    "FakeTwilio",
    "Recorded",
    "Reply",
    "fake_africastalking",
    "fake_twilio",
    "no_internet",
]

TWILIO_ACCOUNT_SID = "AC" + "5eed" * 8
TWILIO_AUTH_TOKEN = "twilio-auth-token-do-not-log-7f3a9c"
AT_USERNAME = "kinga-test"
AT_API_KEY = "atsk_api-key-do-not-log-4be1d2"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_africastalking() -> Iterator[FakeAfricasTalking]:
    with FakeAfricasTalking(AT_USERNAME, AT_API_KEY) as fake:
        yield fake


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse to resolve any host but this machine; returns the hosts that were refused."""
    refused: list[str] = []
    resolve = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOCAL_HOSTS:
            refused.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "tests may not reach the internet")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    return refused
