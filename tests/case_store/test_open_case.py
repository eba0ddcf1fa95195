"""open_case: a finished dialog becomes a reporter, a contact, a case and an audit event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from case_store_factories import NOW, PHONE, answers, build_report, row_counts
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import (
    AgeBand,
    CallbackTime,
    CaseStatus,
    Category,
    Channel,
    ChildSex,
    Disposition,
    EventKind,
    ReporterRelationship,
    RiskLevel,
)
from case_store.models import AuditError, Case, CaseEvent, Contact, Reporter
from case_store.operations import InvalidReport, ReferenceExhausted, open_case, reports
from case_store.queries.cases import find_case_by_reference
from case_store.references import damm_digit, format_reference, is_valid_reference
from case_store.triage import TriagePolicy


def _open(db: sessionmaker[Session], vault: Vault, **report: Any) -> Case:
    with db.begin() as session:
        return open_case(session, vault, build_report(**report), now=NOW)


def test_every_field_is_stored(db: sessionmaker[Session], vault: Vault) -> None:
    report = build_report(answers=answers(category="sexual_abuse", age_band="12_14"))
    with db.begin() as session:
        reference = open_case(session, vault, report, now=NOW).reference

    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case is not None
        assert is_valid_reference(case.reference)
        assert case.status is CaseStatus.OPEN
        assert case.risk_level is RiskLevel.HIGH
        assert case.immediate_danger is False
        assert case.category is Category.SEXUAL_ABUSE
        assert case.child_age_band is AgeBand.AGE_12_14
        assert case.child_sex is ChildSex.GIRL
        assert case.location_code == "047"
        assert vault.decrypt(case.place_encrypted or b"") == "Kibera, behind the water kiosk"
        assert case.reporter_relationship is ReporterRelationship.COMMUNITY
        assert vault.decrypt(case.narrative_encrypted or b"") == answers()["narrative"]
        assert case.callback_consent is True
        assert case.callback_time is CallbackTime.EVENING
        assert case.created_at == NOW and case.created_at.tzinfo is not None
        assert case.assign_by == NOW + timedelta(hours=1)
        assert case.first_contact_by == NOW + timedelta(hours=24)
        assert case.sms_consent is False  # not asked: a report without the question
        structured = {k: v for k, v in answers(category="sexual_abuse", age_band="12_14").items()}
        del structured["place"], structured["narrative"]
        assert case.answers == structured | {"sms_updates": "no"}

        [contact] = case.contacts
        assert contact.channel is Channel.USSD
        assert (contact.provider, contact.external_id) == ("africastalking", report.external_id)
        assert contact.started_at == report.started_at
        assert contact.ended_at == NOW
        assert contact.language == "en"
        assert contact.disposition is Disposition.CASE_OPENED

        reporter = case.reporter
        assert reporter is not None and contact.reporter_id == reporter.id
        assert reporter.phone_hash == vault.phone_hash(PHONE)
        assert vault.decrypt(reporter.phone_encrypted or b"") == PHONE
        assert reporter.language == "en" and reporter.opted_out is False


def test_opening_is_audited_without_personal_text(db: sessionmaker[Session], vault: Vault) -> None:
    reference = _open(db, vault, answers=answers(danger="yes")).reference
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case is not None
        [opened] = case.events
        assert opened.kind is EventKind.CASE_OPENED
        assert opened.actor == "reporter"
        assert opened.at == NOW
        assert opened.data["before"] is None
        after = opened.data["after"]
        assert after["reference"] == reference
        assert after["risk_level"] == "immediate" and after["immediate_danger"] is True
        assert after["has_narrative"] is True and after["has_place"] is True
        flat = repr(opened.data)
        assert "Kibera" not in flat and "alone at night" not in flat and "712345321" not in flat


def test_no_phone_is_kept_without_callback_consent(db: sessionmaker[Session], vault: Vault) -> None:
    case = _open(db, vault, answers=answers(callback="no", callback_time=None))
    with db() as session:
        reporter = session.get(Reporter, case.reporter_id)
        assert reporter is not None
        assert reporter.phone_encrypted is None
        assert reporter.phone_hash == vault.phone_hash(PHONE)
        stored = session.get(Case, case.id)
        assert stored is not None
        assert stored.callback_consent is False and stored.callback_time is None


def test_consent_to_sms_updates_alone_keeps_the_number_encrypted(
    db: sessionmaker[Session], vault: Vault
) -> None:
    case = _open(db, vault, answers=answers(callback="no", callback_time=None, sms_updates="yes"))
    with db() as session:
        stored = session.get(Case, case.id)
        assert stored is not None and stored.reporter is not None
        assert stored.sms_consent is True and stored.callback_consent is False
        assert vault.decrypt(stored.reporter.phone_encrypted or b"") == PHONE
        assert stored.answers["sms_updates"] == "yes"
        assert stored.events[0].data["after"]["sms_consent"] is True


@pytest.mark.parametrize("value", ["", "maybe", "1"])
def test_sms_updates_must_be_yes_or_no(db: sessionmaker[Session], vault: Vault, value: str) -> None:
    with pytest.raises(InvalidReport, match="'sms_updates' must be yes or no"):
        _open(db, vault, answers=answers(sms_updates=value))
    with db() as session:
        assert row_counts(session)["case"] == 0


def test_optional_free_text_may_be_absent(db: sessionmaker[Session], vault: Vault) -> None:
    case = _open(db, vault, answers=answers(place=None, narrative="   "))
    with db() as session:
        stored = session.get(Case, case.id)
        assert stored is not None
        assert stored.place_encrypted is None and stored.narrative_encrypted is None


def test_a_retried_session_returns_the_same_case_and_writes_nothing(
    db: sessionmaker[Session], vault: Vault
) -> None:
    report = build_report()
    with db.begin() as session:
        first = open_case(session, vault, report, now=NOW)
    with db() as session:
        before = row_counts(session)
    with db.begin() as session:
        again = open_case(session, vault, report, now=NOW + timedelta(seconds=20))
        assert again.id == first.id and again.reference == first.reference
    with db() as session:
        assert row_counts(session) == before
        assert before["case"] == 1 and before["case_event"] == 1


def test_same_session_id_from_another_provider_is_another_case(
    db: sessionmaker[Session], vault: Vault
) -> None:
    one = _open(db, vault, external_id="shared-id", provider="africastalking")
    two = _open(db, vault, external_id="shared-id", provider="twilio", channel="sms")
    assert one.id != two.id


def test_concurrent_duplicate_is_stopped_and_the_retry_finds_the_case(
    db: sessionmaker[Session], vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = build_report()
    first = _open(db, vault, external_id=report.external_id)
    # A second delivery whose look-up ran before the first one committed.
    with monkeypatch.context() as patch:
        patch.setattr(reports, "find_contact", lambda *_args: None)
        with db() as session, pytest.raises(IntegrityError):
            open_case(session, vault, report, now=NOW)
    # The documented recovery: roll back (the session did) and call open_case again.
    with db.begin() as session:
        assert open_case(session, vault, report, now=NOW).id == first.id
    with db() as session:
        assert row_counts(session)["case"] == 1


def test_one_reporter_per_phone(db: sessionmaker[Session], vault: Vault) -> None:
    one = _open(db, vault)
    two = _open(db, vault, language="sw", answers=answers(callback="no", callback_time=None))
    other = _open(db, vault, phone="+254700000001")
    assert one.reporter_id == two.reporter_id != other.reporter_id
    with db() as session:
        reporter = session.get(Reporter, one.reporter_id)
        assert reporter is not None and reporter.language == "sw"
        assert row_counts(session)["reporter"] == 2


def test_a_taken_reference_is_retried(db: sessionmaker[Session], vault: Vault) -> None:
    taken = _open(db, vault).reference
    fresh = "12345678" + damm_digit("12345678")
    candidates = iter([taken, taken, fresh])
    with db.begin() as session:
        case = open_case(
            session, vault, build_report(), now=NOW, reference_factory=lambda: next(candidates)
        )
        assert case.reference == fresh


def test_reference_exhaustion_is_an_error_not_a_loop(
    db: sessionmaker[Session], vault: Vault
) -> None:
    taken = _open(db, vault).reference
    with db() as session, pytest.raises(ReferenceExhausted):
        open_case(session, vault, build_report(), now=NOW, reference_factory=lambda: taken)


def test_a_custom_policy_is_used(db: sessionmaker[Session], vault: Vault) -> None:
    default = TriagePolicy.default()
    levels = dict(default.category_levels) | {Category.NEGLECT: RiskLevel.MEDIUM}
    policy = TriagePolicy(levels, default.deadlines, default.raise_rules)
    with db.begin() as session:
        case = open_case(session, vault, build_report(), now=NOW, policy=policy)
        assert case.risk_level is RiskLevel.MEDIUM
        assert case.first_contact_by == NOW + timedelta(hours=72)


def test_timestamps_come_back_as_utc(db: sessionmaker[Session], vault: Vault) -> None:
    nairobi = timezone(timedelta(hours=3))
    started = datetime(2026, 3, 2, 12, 28, tzinfo=nairobi)
    case = _open(db, vault, started_at=started)
    with db() as session:
        contact = session.scalars(select(Contact).where(Contact.case_id == case.id)).one()
        assert contact.started_at == datetime(2026, 3, 2, 9, 28, tzinfo=UTC)
        assert contact.started_at.utcoffset() == timedelta(0)


def test_naive_clock_is_refused(db: sessionmaker[Session], vault: Vault) -> None:
    with db() as session, pytest.raises(ValueError, match="timezone"):
        open_case(session, vault, build_report(), now=datetime(2026, 3, 2, 9, 30))


INVALID_REPORTS: list[tuple[str, dict[str, Any], str]] = [
    ("bad danger", {"answers": answers(danger="maybe")}, "'danger'"),
    ("bad category", {"answers": answers(category="bullying")}, "'category'"),
    ("bad age band", {"answers": answers(age_band="18_plus")}, "'age_band'"),
    ("bad sex", {"answers": answers(sex="other")}, "'sex'"),
    ("bad relationship", {"answers": answers(relationship="teacher")}, "'relationship'"),
    ("bad callback", {"answers": answers(callback="1")}, "'callback'"),
    ("bad callback time", {"answers": answers(callback_time="night")}, "'callback_time'"),
    ("callback time without yes", {"answers": answers(callback="no")}, "only allowed"),
    ("missing callback time", {"answers": answers(callback_time=None)}, "required"),
    ("missing category", {"answers": answers(category=None)}, "missing answers: category"),
    ("missing area", {"answers": answers(area=None)}, "missing answers: area"),
    ("area is free text", {"answers": answers(area="near the market")}, "'area'"),
    ("unknown key", {"answers": answers(name="Amina")}, "unknown answer keys: name"),
    ("narrative too long", {"answers": answers(narrative="x" * 2001)}, "'narrative'"),
    ("bad channel", {"channel": "fax"}, "channel"),
    ("empty provider", {"provider": ""}, "provider"),
    ("empty session id", {"external_id": ""}, "external_id"),
    ("phone not E.164", {"phone": "0712345321"}, "phone"),
    ("bad language", {"language": "English"}, "language"),
    ("naive start", {"started_at": datetime(2026, 3, 2, 9, 0)}, "started_at"),
]


@pytest.mark.parametrize(
    ("fields", "message"),
    [(fields, message) for _, fields, message in INVALID_REPORTS],
    ids=[name for name, _, _ in INVALID_REPORTS],
)
def test_invalid_reports_are_refused_before_any_write(
    db: sessionmaker[Session], vault: Vault, fields: dict[str, Any], message: str
) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with db() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            with pytest.raises(InvalidReport) as raised:
                open_case(session, vault, build_report(**fields), now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert statements == []  # refused before the database was touched
    for secret in ("Amina", "near the market", "0712345321", "xxxxxxxx"):
        assert secret not in str(raised.value)
    with db() as session:
        assert set(row_counts(session).values()) == {0}


def test_case_events_are_append_only(db: sessionmaker[Session], vault: Vault) -> None:
    case = _open(db, vault)
    with db() as session:
        opened = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
        opened.actor = "someone else"
        with pytest.raises(AuditError):
            session.flush()
    with db() as session:
        opened = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
        session.delete(opened)
        with pytest.raises(AuditError):
            session.flush()


def test_open_case_never_commits(db: sessionmaker[Session], vault: Vault) -> None:
    with db() as session:
        open_case(session, vault, build_report(), now=NOW)
        session.rollback()
    with db() as session:
        assert set(row_counts(session).values()) == {0}


def test_find_by_reference_accepts_the_spoken_forms(
    db: sessionmaker[Session], vault: Vault
) -> None:
    reference = _open(db, vault).reference
    with db() as session:
        for typed in (reference, format_reference(reference), " ".join(reference)):
            found = find_case_by_reference(session, typed)
            assert found is not None and found.reference == reference
        other = "12345678" + damm_digit("12345678")
        assert other == reference or find_case_by_reference(session, other) is None


def test_find_by_reference_refuses_a_bad_check_digit_without_a_query(
    db: sessionmaker[Session], vault: Vault
) -> None:
    reference = _open(db, vault).reference
    mistyped = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with db() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert find_case_by_reference(session, mistyped) is None
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert statements == []
