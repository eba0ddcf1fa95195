"""Cases opened as a report opens them, then sent as the outbox would (a uniquely named module:
tests have no packages)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import select

from case_store.models import Case, OutboxRow
from case_store.operations import open_case
from case_store.operations.sync_queue import SYNC_JOB
from case_store.report_contract import Report
from gateway.runtime import Runtime
from workers.alerts import on_case_opened

PRIMERO_USER = "kinga-sync"
PRIMERO_PASSWORD = "primero-password-do-not-log-93c1"
WEBHOOK_KEY = "primero-webhook-key-do-not-log-5e2a7c9f01"
PHONE = "+254712345321"
NARRATIVE = "The child is left alone at night and has not eaten."
ANSWERS: dict[str, str] = {
    "danger": "no",
    "category": "sexual_abuse",
    "age_band": "5_11",
    "sex": "girl",
    "area": "047",
    "place": "Kibera, behind the water kiosk",
    "relationship": "community",
    "narrative": NARRATIVE,
    "callback": "yes",
    "callback_time": "evening",
}
_sessions = count(1)


def open_report(rt: Runtime, **changes: str | None) -> tuple[int, list[int]]:
    """Open a case from a USSD report (pushed to Primero under the runtime's policy) and
    commit; its id and the ids of the sync rows written to the outbox. A change to None
    leaves that answer out."""
    answers = {k: v for k, v in (ANSWERS | changes).items() if v is not None}
    report = Report(
        channel="ussd",
        provider="africastalking",
        external_id=f"ATUid_primero_{next(_sessions)}",
        phone=PHONE,
        language="en",
        answers=answers,
        started_at=datetime.now(UTC),
    )
    now = datetime.now(UTC)
    with rt.sessions.begin() as db:
        case = open_case(db, rt.vault, report, now=now, policy=rt.triage)
        rows = on_case_opened(
            db,
            rt.vault,
            case,
            profile=rt.profile,
            max_segments=rt.settings.sms_max_segments,
            now=now,
            primero=rt.primero_push,
        )
        return case.id, [row.id for row in rows if row.job == SYNC_JOB]


def sync_rows(rt: Runtime, case_id: int) -> list[OutboxRow]:
    with rt.sessions() as db:
        rows = db.scalars(select(OutboxRow).where(OutboxRow.job == SYNC_JOB)).all()
        return [row for row in rows if row.args == {"case_id": case_id}]


def state(rt: Runtime, case_id: int) -> dict[str, Any]:
    with rt.sessions() as db:
        case = db.get(Case, case_id)
        assert case is not None
        return {
            "state": case.primero_sync_state,
            "primero_id": case.primero_id,
            "attempts": case.primero_attempts,
            "error": case.primero_error,
            "revision": case.primero_revision,
            "synced_revision": case.primero_synced_revision,
        }
