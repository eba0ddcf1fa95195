"""Fixtures for the case store tests; the factories live in ``case_store_factories``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from case_store_factories import TEST_FERNET_KEY, TEST_PHONE_HASH_KEY
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault


@pytest.fixture
def vault() -> Vault:
    return Vault([TEST_FERNET_KEY], TEST_PHONE_HASH_KEY)


@pytest.fixture
def session(db: sessionmaker[Session]) -> Iterator[Session]:
    with db() as s:
        yield s
