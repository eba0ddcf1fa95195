"""Reporters, found by the keyed hash of their phone number, and the language they chose."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.models import Reporter


def find_reporter(session: Session, vault: Vault, phone: str) -> Reporter | None:
    phone_hash = vault.phone_hash(phone)
    return session.scalars(select(Reporter).where(Reporter.phone_hash == phone_hash)).one_or_none()


def reporter_language(session: Session, vault: Vault, phone: str) -> str | None:
    """The language this phone chose before, if any."""
    phone_hash = vault.phone_hash(phone)
    return session.scalar(select(Reporter.language).where(Reporter.phone_hash == phone_hash))
