"""The outbox: jobs written with the change, found by the sweeper until dispatched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from case_store_factories import row_counts
from sqlalchemy.orm import Session, sessionmaker

from case_store.models import OutboxRow
from case_store.operations.outbox import (
    InvalidOutboxRow,
    add_outbox,
    mark_dispatched,
    outbox_job_id,
)
from case_store.queries.outbox import undispatched


def test_a_row_is_written_in_the_callers_transaction(db: sessionmaker[Session]) -> None:
    with db() as session:
        row = add_outbox(session, "workers.alerts.alert_on_call", case_id=7, level="high")
        session.flush()  # written with the caller's changes, then its id is known
        assert row.id is not None
        session.rollback()
    with db() as session:
        assert row_counts(session)["outbox"] == 0

    before = datetime.now(UTC)
    with db.begin() as session:
        row = add_outbox(session, "workers.alerts.alert_on_call", case_id=7, urgent=True)
    row_id = row.id
    with db() as session:
        stored = session.get(OutboxRow, row_id)
        assert stored is not None
        assert stored.job == "workers.alerts.alert_on_call"
        assert stored.args == {"case_id": 7, "urgent": True}
        assert before - timedelta(seconds=1) <= stored.created_at <= datetime.now(UTC)
        assert stored.dispatched_at is None
        assert outbox_job_id(stored) == f"outbox-{row_id}"


def test_sweeper_finds_old_undispatched_rows_until_marked(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        rows = [add_outbox(session, "workers.sms.send", message_id=n) for n in (1, 2)]
        session.flush()
        first, second = (row.id for row in rows)
    future = datetime.now(UTC) + timedelta(minutes=1)
    with db.begin() as session:
        assert [r.id for r in undispatched(session, created_before=future)] == [first, second]
        assert undispatched(session, created_before=future - timedelta(hours=1)) == []
        assert [r.id for r in undispatched(session, created_before=future, limit=1)] == [first]
        assert mark_dispatched(session, [first], now=future) == 1
        assert mark_dispatched(session, [first], now=future) == 0  # already done
        assert mark_dispatched(session, [], now=future) == 0
    with db() as session:
        assert [r.id for r in undispatched(session, created_before=future)] == [second]
        stored = session.get(OutboxRow, first)
        assert stored is not None and stored.dispatched_at == future


@pytest.mark.parametrize(
    ("job", "args"),
    [
        ("", {}),
        ("workers alerts", {}),
        ("workers.alerts.", {}),
        ("1workers.send", {}),
        ("workers.send", {"when": datetime(2026, 1, 1, tzinfo=UTC)}),
        ("workers.send", {"ratio": float("nan")}),
        ("workers.send", {"to": "+254712345321"}),
        ("workers.send", {"nested": {"to": ["+254 712 345 321"]}}),
    ],
)
def test_bad_jobs_are_refused(db: sessionmaker[Session], job: str, args: dict[str, object]) -> None:
    with db() as session:
        with pytest.raises(InvalidOutboxRow) as raised:
            add_outbox(session, job, **args)
        assert "712345321" not in str(raised.value)
        assert row_counts(session)["outbox"] == 0
