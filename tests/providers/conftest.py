"""Fake providers for the adapter tests, and no way out to the internet."""

from __future__ import annotations

import pytest
from fakes import fake_africastalking, fake_twilio, no_internet  # noqa: F401


@pytest.fixture(autouse=True)
def offline(no_internet: list[str]) -> list[str]:  # noqa: F811
    return no_internet
