"""A report over Africa's Talking USSD, end to end: webhook → dialog → case store."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select
from ussd_client import PHONE, REPORT_ANSWERS, Caller

from case_store.models.cases import Case
from case_store.models.contacts import Contact
from case_store.models.events import CaseEvent
from case_store.models.reporters import Reporter
from case_store.queries.cases import find_case_by_reference
from case_store.references import is_valid_reference

REFERENCE_RE = re.compile(r"Your reference is (\d{3}-\d{3}-\d{3})\.")


def reference_in(screen: str) -> str:
    match = REFERENCE_RE.search(screen)
    assert match, screen
    return match.group(1).replace("-", "")


def counts(db) -> dict[str, int]:
    with db() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Reporter, Contact, Case, CaseEvent)
        }


def test_a_full_report_ends_with_a_valid_reference_and_a_stored_case(client, db, app):
    caller = Caller(client)
    assert caller.dial().startswith("CON Welcome to Kinga")
    screen = caller.report()

    assert screen.startswith("END Thank you. Your reference is ")
    assert "116" in screen
    reference = reference_in(screen)
    assert is_valid_reference(reference)

    vault = app.extensions["kinga"].vault
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case is not None
        assert case.category.value == "neglect"
        assert case.child_age_band.value == "5_11"
        assert case.child_sex.value == "girl"
        assert case.location_code == "001"
        assert case.reporter_relationship.value == "community"
        assert case.immediate_danger is False
        assert case.callback_consent is False
        assert vault.decrypt(case.place_encrypted) == "Kibera"
        assert vault.decrypt(case.narrative_encrypted) == "She is alone at night"
        assert case.risk_level.value == "low"  # neglect over 5 is not raised (docs/product.md)
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        # Nobody was on call: the alert waits for someone (``test_pending_alerts``).
        assert [event.kind for event in events] == ["case_opened", "alert_pending"]
        contact = session.scalars(select(Contact)).one()
        assert contact.external_id == caller.session_id
        assert contact.case_id == case.id
    assert counts(db) == {"Reporter": 1, "Contact": 1, "Case": 1, "CaseEvent": 2}


def test_danger_now_is_triaged_immediate(client, db):
    answers = ["1", "1", "1", *REPORT_ANSWERS[2:]]  # yes, in danger; then the warning screen
    screen = Caller(client).report(answers)
    with db() as session:
        case = find_case_by_reference(session, reference_in(screen))
        assert case.immediate_danger is True
        assert case.risk_level.value == "immediate"


def test_a_free_text_answer_may_contain_a_star(client, db, app):
    answers = list(REPORT_ANSWERS)
    answers[6] = "Kibera*Olympic"
    screen = Caller(client).report(answers)
    with db() as session:
        case = find_case_by_reference(session, reference_in(screen))
        assert app.extensions["kinga"].vault.decrypt(case.place_encrypted) == "Kibera*Olympic"


def test_every_retried_hop_gets_the_same_answer_and_moves_nothing(client, db):
    caller = Caller(client)
    first = caller.dial()
    assert caller.post("").get_data(as_text=True) == first
    for value in REPORT_ANSWERS:
        screen = caller.answer(value)
        again = caller.post().get_data(as_text=True)
        assert again == screen
    assert counts(db)["Case"] == 1


def test_send_retried_after_the_session_record_was_lost_still_gives_one_case(
    client, db, app, redis_client
):
    caller = Caller(client)
    caller.dial()
    for value in REPORT_ANSWERS[:-1]:
        caller.answer(value)
    saved = redis_client.get(
        app.extensions["kinga"].ussd_sessions.key("africastalking", caller.session_id)
    )
    first = caller.answer("1")
    # The provider retries while our answer was lost, and the session record is older than
    # the commit (Redis restarted from an earlier state): the dialog runs Send again.
    redis_client.set(
        app.extensions["kinga"].ussd_sessions.key("africastalking", caller.session_id), saved
    )
    second = caller.post().get_data(as_text=True)
    assert reference_in(second) == reference_in(first)
    assert counts(db)["Case"] == 1


def test_three_invalid_answers_in_a_row_end_politely(client, db):
    caller = Caller(client)
    caller.dial()
    question = caller.answer("1")
    for wrong in ("9", "x"):
        again = caller.answer(wrong)
        assert again.startswith("CON ") and again != question  # a short error before it
        assert again.endswith(question.removeprefix("CON "))
    screen = caller.answer("7")
    assert screen.startswith("END Sorry, we could not continue.")
    assert counts(db)["Case"] == 0


def test_zero_exits_with_a_harmless_text(client, db):
    caller = Caller(client)
    caller.dial()
    caller.answer("1")
    assert caller.answer("0") == "END Goodbye."


def test_the_session_record_in_redis_is_small_and_sealed(client, app, redis_client):
    caller = Caller(client)
    caller.dial()
    for value in REPORT_ANSWERS[:-1]:
        caller.answer(value)
    key = app.extensions["kinga"].ussd_sessions.key("africastalking", caller.session_id)
    raw = redis_client.get(key)
    assert len(raw) <= 1024
    for text in (PHONE[1:], "Kibera", "alone at night", "answers"):
        assert text.encode() not in raw
    assert 0 < redis_client.ttl(key) <= app.extensions["kinga"].ussd_sessions.ttl


def test_the_phone_number_never_reaches_the_logs(client, caplog):
    with caplog.at_level(logging.DEBUG):
        Caller(client).report()
    assert PHONE[4:] not in caplog.text


SUDAN_PHONE = "+249912345678"  # the example profile answers +249 in Arabic


def test_a_report_in_arabic_reaches_nairobi_in_one_hop_and_any_area_in_three(client, db):
    # Report → no danger → neglect → 5-11 → girl: the place question.
    before_place = ["1", "2", "3", "2", "1"]
    after_place = ["Kibera", "3", "0", "2", "2", "1"]
    nairobi = Caller(client, session_id="ATUid_ar_1", phone=SUDAN_PHONE)
    nairobi.dial()
    for value in before_place:
        place = nairobi.answer(value)
    assert place.startswith("CON أين الطفل؟ اختر أو اكتب بداية الاسم.\n1. نيروبي\n")
    screens = [nairobi.answer(value) for value in ["1", *after_place]]
    assert screens[0].startswith("CON اكتب اسم القرية")  # one hop: Nairobi chosen
    farthest = Caller(client, session_id="ATUid_ar_2", phone=SUDAN_PHONE)
    farthest.report([*before_place, "3", "1", "1", *after_place])  # three hops by numbers
    typed = Caller(client, session_id="ATUid_ar_3", phone=SUDAN_PHONE)
    typed.report([*before_place, "نيرو", *after_place])  # or the first letters, in one

    with db() as session:
        areas = session.scalars(select(Case.location_code).order_by(Case.id)).all()
    assert screens[-1].startswith("END شكرا.")
    assert areas == ["047", "028", "047"]
