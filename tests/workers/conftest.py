"""The fake SMS providers (real HTTP servers on 127.0.0.1), for the tests that send."""

from __future__ import annotations

import pytest
from fakes import fake_africastalking, fake_twilio, no_internet  # noqa: F401

from case_store.crypto import Vault


@pytest.fixture
def vault(settings) -> Vault:
    """The vault of the suite's keys, as the jobs' context holds it."""
    return Vault(settings.encryption_keys, settings.phone_hash_key)
