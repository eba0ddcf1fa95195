"""A case's sync with Primero in the API's case document: read, but outside the ETag (the sync
job changes it, and an integration's update must not fail for it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from case_store.enums import SyncState
from case_store.models import Case
from case_store.references import parse_reference


def test_the_case_document_says_where_the_case_stands_with_primero(caller, make_case, db):
    admin = caller("amina", "admin")
    reference = make_case()
    before = admin.get(f"/api/v1/cases/{reference}")
    assert before.json["primero"] == {
        "sync_state": "not_synced",
        "error": None,
        "attempts": 0,
        "last_attempt_at": None,
    }
    with db.begin() as session:  # what the sync job records when Primero refuses the record
        session.execute(
            update(Case)
            .where(Case.reference == parse_reference(reference))
            .values(
                primero_sync_state=SyncState.FAILED,
                primero_error="sex: unknown lookup value",
                primero_attempts=1,
                primero_last_attempt_at=datetime.now(UTC),
            )
        )
    after = admin.get(f"/api/v1/cases/{reference}")
    assert after.json["primero"]["sync_state"] == "failed"
    assert after.json["primero"]["error"] == "sex: unknown lookup value"
    assert after.headers["ETag"] == before.headers["ETag"]
    assert admin.update(reference, "level", {"level": "high"}).status_code == 200
