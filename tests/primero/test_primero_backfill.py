"""`kinga primero backfill`: existing cases sent in batches from a cursor kept in the
database; an interrupted run resumes where it stopped and nothing reaches Primero twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from case_store.enums import (
    AgeBand,
    CaseStatus,
    Category,
    ChildSex,
    ReporterRelationship,
    RiskLevel,
    SyncState,
)
from case_store.models import Case
from case_store.queries.primero import backfill_cursor

CASES = 10_000
BATCH = 1000
STOP_AT = 4_321  # Primero refuses the password once it holds this many records


def insert_cases(rt, count: int) -> None:
    now = datetime.now(UTC)
    levels = list(RiskLevel)
    rows = [
        {
            "reference": f"{n:09d}",
            "status": CaseStatus.OPEN,
            "risk_level": levels[n % len(levels)],
            "immediate_danger": False,
            "category": Category.NEGLECT,
            "child_age_band": AgeBand("5_11"),
            "child_sex": ChildSex.BOY,
            "location_code": "047",
            "reporter_relationship": ReporterRelationship("community"),
            "callback_consent": False,
            "assign_by": now,
            "first_contact_by": now,
            "created_at": now,
            "answers": {},
        }
        for n in range(count)
    ]
    with rt.sessions.begin() as db:
        db.execute(insert(Case), rows)


def states(rt) -> dict[SyncState, int]:
    with rt.sessions() as db:
        found = db.execute(
            select(Case.primero_sync_state, func.count()).group_by(Case.primero_sync_state)
        ).all()
    return {state: number for state, number in found}


def test_a_backfill_of_10000_cases_resumes_after_interruption_and_sends_each_once(
    rt, fake_primero, primero_runner
):
    insert_cases(rt, CASES)
    fake_primero.password_expires_after = STOP_AT

    interrupted = primero_runner.invoke(args=["primero", "backfill", "--batch", str(BATCH)])
    assert interrupted.exit_code == 1
    assert "the sync is stopped" in interrupted.output
    assert len(fake_primero.records) == STOP_AT
    with rt.sessions() as db:
        cursor = backfill_cursor(db)
    assert cursor > 0 and len(fake_primero.records) - BATCH < STOP_AT  # the batch not finished
    assert states(rt)[SyncState.SYNCED] == STOP_AT
    assert fake_primero.failed_logins == 1  # stopped at the first refusal

    fake_primero.password_expires_after = None
    assert primero_runner.invoke(args=["primero", "check"]).exit_code == 0
    resumed = primero_runner.invoke(args=["primero", "backfill", "--batch", str(BATCH)])
    assert resumed.exit_code == 0, resumed.output

    assert len(fake_primero.records) == CASES
    assert states(rt) == {SyncState.SYNCED: CASES}
    creates = fake_primero.requests_to("POST")
    # Only the cases of the interrupted batch sent after the refusal were asked again (409).
    assert CASES + 1 <= len(creates) <= CASES + BATCH
    with rt.sessions() as db:
        ids = set(db.scalars(select(Case.primero_id)))
    assert ids == set(fake_primero.records)

    again = primero_runner.invoke(args=["primero", "backfill", "--from-start"])
    assert again.exit_code == 0, again.output
    assert f"{CASES} skipped" in again.output
    assert len(fake_primero.requests_to("POST")) == len(creates)  # nothing sent twice
