"""Where a case stands with Primero, on its console page (in the reader's language) and in the
API's case document: staff see a refusal without asking the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from case_store.enums import SyncState
from case_store.models import Case
from case_store.references import parse_reference

REFUSAL = "protection_concerns: unknown lookup value"


def _set_state(db, reference: str, state: SyncState, error: str | None = None) -> None:
    """What the sync job records after Primero answered (``workers.primero``)."""
    with db.begin() as session:
        session.execute(
            update(Case)
            .where(Case.reference == parse_reference(reference))
            .values(
                primero_sync_state=state,
                primero_error=error,
                primero_attempts=1,
                primero_last_attempt_at=datetime.now(UTC),
            )
        )


def test_a_case_never_sent_shows_no_primero_line(make_staff, make_case, console):
    make_staff("otieno", "supervisor")
    reference = make_case()
    browser = console()
    browser.sign_in("otieno")
    assert "<dt>Primero</dt>" not in browser.get(f"/staff/cases/{reference}").get_data(True)


def test_a_refused_case_shows_primeros_reason_in_the_readers_language(
    make_staff, make_case, console, db
):
    make_staff("otieno", "supervisor")
    reference = make_case()
    _set_state(db, reference, SyncState.FAILED, REFUSAL)
    browser = console()
    browser.sign_in("otieno")
    page = browser.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "<dt>Primero</dt>" in page and "Refused by Primero" in page and REFUSAL in page

    browser.submit(
        "/staff/language", {"lang-language": "fr", "lang-next": "/staff/"}, page="/staff/"
    )
    page = browser.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "Refusé par Primero" in page and "dernier essai" in page

    _set_state(db, reference, SyncState.SYNCED)
    page = browser.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "À jour" in page and REFUSAL not in page
