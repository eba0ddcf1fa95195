"""Retention on a clock moved forward: personal data blanked, rows, counts and audit kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, PHONE, add_user, answers, build_report, row_counts
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import ClosureReason, EventKind
from case_store.models import Case, CaseEvent, Message, Reporter
from case_store.operations import close, open_case, record_missed_call
from case_store.operations.messages import queue_outbound, record_inbound
from case_store.operations.retention import purge
from case_store.retention import InvalidRetention, RetentionPolicy

POLICY = RetentionPolicy.from_mapping(
    {"reporter_phone": "90d", "narrative": "5y", "message_body": "30d", "message_phone": "30d"}
)
OTHER_PHONE = "+254722000111"


def _world(session: Session, vault: Vault) -> tuple[Case, Case]:
    """One case closed at NOW, one still open from another phone, and two SMS."""
    supervisor = add_user(session, "supervisor")
    closed = open_case(session, vault, build_report(), now=NOW)
    close(session, closed, ClosureReason.RESOLVED, actor=supervisor, now=NOW)
    still_open = open_case(
        session, vault, build_report(phone=OTHER_PHONE, answers=answers(area="001")), now=NOW
    )
    record_inbound(
        session,
        vault,
        provider="twilio",
        provider_id="SM1",
        phone=PHONE,
        body="hi",
        received_at=NOW,
    )
    queue_outbound(
        session,
        vault,
        phone=PHONE,
        body="Your reference was updated.",
        purpose="follow_up",
        encoding="GSM-7",
        segments=1,
        now=NOW + timedelta(days=20),
    )
    return closed, still_open


def _reporter(session: Session, vault: Vault, phone: str) -> Reporter:
    return session.scalars(
        select(Reporter).where(Reporter.phone_hash == vault.phone_hash(phone))
    ).one()


def test_nothing_expires_on_the_day(session: Session, vault: Vault) -> None:
    _world(session, vault)
    run = purge(session, POLICY, now=NOW + timedelta(days=1))
    assert run.counts == {
        "narrative": 0,
        "reporter_phone": 0,
        "message_body": 0,
        "message_phone": 0,
    }


def test_each_kind_expires_on_its_own_clock(session: Session, vault: Vault) -> None:
    closed, still_open = _world(session, vault)
    before = row_counts(session)

    run = purge(session, POLICY, now=NOW + timedelta(days=31))
    assert run.counts == {
        "narrative": 0,
        "reporter_phone": 0,
        "message_body": 1,
        "message_phone": 1,
    }
    inbound = session.scalars(select(Message).where(Message.provider_id == "SM1")).one()
    assert inbound.body_encrypted is None and inbound.phone_encrypted is None
    assert inbound.phone_hash == vault.phone_hash(PHONE)  # counts and opt-out still work

    run = purge(session, POLICY, now=NOW + timedelta(days=91))
    assert run.counts["reporter_phone"] == 1 and run.counts["message_body"] == 1
    assert _reporter(session, vault, PHONE).phone_encrypted is None
    # The reporter with an open case keeps the number they agreed to be called back on.
    assert _reporter(session, vault, OTHER_PHONE).phone_encrypted is not None

    run = purge(session, POLICY, now=NOW + timedelta(days=5 * 365 + 1))
    assert run.counts["narrative"] == 1
    assert closed.narrative_encrypted is None and closed.place_encrypted is None
    assert still_open.narrative_encrypted is not None  # open cases keep their narrative
    event = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == closed.id, CaseEvent.kind == EventKind.RETENTION_PURGED
        )
    ).one()
    assert event.actor == "retention"
    assert event.data["before"] == {"has_narrative": True, "has_place": True}

    # Aggregates survive: every case, contact and message row is still there.
    after = row_counts(session)
    for table in ("case", "contact", "message", "reporter", "note"):
        assert after[table] == before[table]
    assert after["maintenance_run"] == 3
    by_category = session.execute(select(Case.category, func.count()).group_by(Case.category)).all()
    assert sum(count for _, count in by_category) == 2

    # A second run on the same day finds nothing left.
    again = purge(session, POLICY, now=NOW + timedelta(days=5 * 365 + 1))
    assert set(again.counts.values()) == {0}


def test_a_reopened_reporter_case_keeps_the_number(session: Session, vault: Vault) -> None:
    _world(session, vault)
    # The same phone reports again at day 60: its clock restarts with the new case.
    open_case(session, vault, build_report(), now=NOW + timedelta(days=60))
    run = purge(session, POLICY, now=NOW + timedelta(days=91))
    assert run.counts["reporter_phone"] == 0
    assert _reporter(session, vault, PHONE).phone_encrypted is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reporter_phone": "90d", "narrative": "5y", "message_body": "30d"}, "message_phone"),
        ({**POLICY.describe(), "voice": "1d"}, "unknown data kinds"),
        ({**POLICY.describe(), "narrative": "forever"}, "retention.narrative"),
        ({**POLICY.describe(), "narrative": "0d"}, "positive"),
        ("90d", "expected a mapping"),
    ],
)
def test_bad_policies(data: object, message: str) -> None:
    with pytest.raises(InvalidRetention, match=message):
        RetentionPolicy.from_mapping(data)  # type: ignore[arg-type]


def test_a_missed_call_keeps_the_number_until_answered_and_for_the_period(
    session: Session, vault: Vault
) -> None:
    _world(session, vault)
    missed, _created = record_missed_call(
        session,
        vault,
        provider="africastalking",
        external_id="ATVId_retention",
        phone=PHONE,
        called_at=NOW + timedelta(days=80),
        language="en",
    )
    run = purge(session, POLICY, now=NOW + timedelta(days=200))
    assert run.counts["reporter_phone"] == 0  # still waiting for its call back
    assert _reporter(session, vault, PHONE).phone_encrypted is not None

    missed.closed_at = NOW + timedelta(days=201)
    session.flush()
    assert purge(session, POLICY, now=NOW + timedelta(days=290)).counts["reporter_phone"] == 0
    assert purge(session, POLICY, now=NOW + timedelta(days=292)).counts["reporter_phone"] == 1
    assert _reporter(session, vault, PHONE).phone_encrypted is None
