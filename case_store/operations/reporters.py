"""Reporter preferences kept by phone hash (the row stores no number): the language chosen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.columns import as_utc
from case_store.crypto import Vault
from case_store.models import Reporter
from case_store.queries.reporters import find_reporter

LANGUAGE_MAX = 16


def set_reporter_language(
    session: Session, vault: Vault, phone: str, language: str, *, now: datetime
) -> Reporter:
    """Save the language chosen on this phone; the reporter row stores no number."""
    if not language or len(language) > LANGUAGE_MAX:
        raise ValueError("language must be a short language code")
    reporter = find_reporter(session, vault, phone)
    if reporter is None:
        reporter = Reporter(
            phone_hash=vault.phone_hash(phone), language=language, created_at=as_utc(now, "now")
        )
        session.add(reporter)
    reporter.language = language
    session.flush()
    return reporter
