"""Follow up, language choice and resuming a dropped report, through the real webhook."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from ussd_client import REPORT_ANSWERS, Caller

from case_store.enums import Disposition, EventKind
from case_store.models import CaseEvent, Contact, Note, Reporter
from case_store.queries.cases import find_case_by_reference
from case_store.references import damm_digit, format_reference
from gateway.channels.callers import MAX_REFERENCE_MISSES

REFERENCE_RE = re.compile(r"Your reference is (\d{3}-\d{3}-\d{3})\.")


def report_reference(client) -> str:
    screen = Caller(client, session_id="ATUid_report").report()
    match = REFERENCE_RE.search(screen)
    assert match, screen
    return match.group(1)


def test_follow_up_shows_a_neutral_status(client):
    reference = report_reference(client)
    caller = Caller(client, session_id="ATUid_follow")
    caller.dial()
    assert "reference" in caller.answer("2")
    screen = caller.answer(reference.replace("-", " "))
    assert screen.startswith("CON ")
    assert reference in screen and "We have received it." in screen
    for word in ("abuse", "child", "neglect", "girl"):
        assert word not in screen.lower()


def test_a_mistyped_reference_is_caught_before_any_lookup(client):
    reference = report_reference(client).replace("-", "")
    typo = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    caller = Caller(client, session_id="ATUid_typo")
    caller.dial()
    caller.answer("2")
    screen = caller.answer(typo)
    assert "not right" in screen


def test_repeated_unknown_references_are_rate_limited(client, redis_client):
    caller = Caller(client, session_id="ATUid_guess")
    for n in range(7):
        body = f"1234567{n}"
        guess = body + damm_digit(body)
        caller.session_id = f"ATUid_guess_{n}"
        caller.dial()
        caller.answer("2")
        screen = caller.answer(guess)
        assert "We cannot find it." in screen
        caller.answer("0")
    assert int(redis_client.get(next(iter(redis_client.keys("kinga:refmiss:*"))))) == 5
    # A real reference from the same phone is now also answered "not found" until the window
    # passes: guessing cannot be told apart from a real lookup.
    real = report_reference(client)
    caller.session_id = "ATUid_after_limit"
    caller.dial()
    caller.answer("2")
    assert "We cannot find it." in caller.answer(real)
    assert format_reference(real.replace("-", "")) == real


def test_the_chosen_language_is_saved_and_the_menu_comes_back_in_it(client):
    caller = Caller(client, session_id="ATUid_lang")
    caller.dial()
    menu = caller.answer("4")
    choice = next(line.split(".")[0] for line in menu.splitlines() if line.endswith("Kiswahili"))
    saved = caller.answer(choice)
    help_now = caller.answer("3")
    next_call = Caller(client, session_id="ATUid_lang_2")
    welcome = next_call.dial()

    assert saved.startswith("CON ") and "Welcome to Kinga" not in saved
    assert "Ripoti" in saved or "ripoti" in saved
    assert help_now.startswith("END ") and "Helpline" not in help_now and "116" in help_now
    assert welcome == saved


def test_a_dropped_report_is_offered_back_on_redial(client, db):
    first = Caller(client, session_id="ATUid_drop_1")
    first.dial()
    for value in REPORT_ANSWERS[:4]:
        question = first.answer(value)
    # The network drops the session here; the same phone dials again.
    second = Caller(client, session_id="ATUid_drop_2")
    offer = second.dial()
    assert offer.startswith("CON Your last session was cut off.")
    assert second.answer("1") == question
    for value in REPORT_ANSWERS[4:]:
        screen = second.answer(value)
    assert screen.startswith("END Thank you. Your reference is")


def test_start_again_after_a_drop_gives_the_main_menu(client):
    first = Caller(client, session_id="ATUid_again_1")
    first.dial()
    first.answer("1")
    first.answer("2")
    second = Caller(client, session_id="ATUid_again_2")
    second.dial()
    assert second.answer("2").startswith("CON Welcome to Kinga")


def _follow_up(client, session_id: str, reference: str) -> Caller:
    caller = Caller(client, session_id=session_id, phone="+254733000444")
    caller.dial()
    caller.answer("2")
    caller.answer(reference)
    return caller


def test_added_information_is_stored_encrypted_on_the_case(client, db, app):
    reference = report_reference(client)
    caller = _follow_up(client, "ATUid_note", reference)
    caller.answer("1")
    screen = caller.answer("The father came back*drunk")
    assert screen.startswith("END Thank you.")
    assert caller.post().get_data(as_text=True) == screen  # a retry changes nothing
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = find_case_by_reference(session, reference)
        notes = session.scalars(select(Note).where(Note.case_id == case.id)).all()
        assert [vault.decrypt(note.body_encrypted) for note in notes] == [
            "The father came back*drunk"
        ]
        assert notes[0].author_id is None
        contact = session.scalars(select(Contact).where(Contact.external_id == "ATUid_note")).one()
        assert contact.disposition is Disposition.CASE_UPDATED
        assert contact.case_id == case.id
        kinds = [
            e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
        ]
        assert EventKind.NOTE_ADDED in kinds


def test_a_callback_request_keeps_the_number_encrypted_with_consent(client, db, app):
    reference = report_reference(client)
    caller = _follow_up(client, "ATUid_callback", reference)
    caller.answer("2")
    assert caller.answer("3").startswith("END Thank you. We will try to call you")
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case.callback_consent is True
        assert case.callback_time.value == "evening"
        reporter = session.scalars(
            select(Reporter).where(Reporter.phone_hash == vault.phone_hash("+254733000444"))
        ).one()
        assert vault.decrypt(reporter.phone_encrypted) == "+254733000444"


def test_sessions_without_a_case_are_contacts_too(client, db):
    help_caller = Caller(client, session_id="ATUid_help")
    help_caller.dial()
    assert "116" in help_caller.answer("3")
    silent = Caller(client, session_id="ATUid_silent")
    silent.dial()
    silent.answer("0")
    with db() as session:
        dispositions = {
            c.external_id: c.disposition for c in session.scalars(select(Contact)).all()
        }
    assert dispositions == {
        "ATUid_help": Disposition.INFORMATION,
        "ATUid_silent": Disposition.SILENT,
    }


def spend_the_miss_budget(client, phone: str) -> None:
    """Guess unknown (well-formed) references from ``phone`` until it is rate limited."""
    for n in range(MAX_REFERENCE_MISSES):
        body = f"7654321{n}"
        caller = Caller(client, session_id=f"ATUid_spend_{n}", phone=phone)
        caller.dial()
        caller.answer("2")
        assert "We cannot find it." in caller.answer(body + damm_digit(body))
        caller.answer("0")


def test_a_reference_not_found_offers_to_type_it_again_not_to_add_to_it(client):
    caller = Caller(client, session_id="ATUid_unknown", phone="+254733000555")
    caller.dial()
    caller.answer("2")
    unknown = "76543210" + damm_digit("76543210")
    screen = caller.answer(unknown)
    wrong = caller.answer("2")
    again = caller.answer("1")

    assert screen == (
        f"CON Report {format_reference(unknown)}. We cannot find it. Check the number.\n"
        "1. Try again\n0. Exit"
    )
    assert wrong.startswith("CON Try again.\nReport ") and "Add information" not in wrong
    assert again == "CON Type your reference number.\n0. Exit"
    found = caller.answer(report_reference(client))
    assert "1. Add information\n2. Ask for a call back" in found


@pytest.mark.parametrize("key", ["1", "2"])
def test_a_rate_limited_caller_cannot_add_to_a_real_report(client, db, key):
    reference = report_reference(client)
    with db() as session:
        case = find_case_by_reference(session, reference)
        events_before = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    spend_the_miss_budget(client, "+254733000444")

    caller = Caller(client, session_id=f"ATUid_limited_{key}", phone="+254733000444")
    caller.dial()
    caller.answer("2")
    # The same screen as for a reference that does not exist: the limit tells a guesser nothing.
    assert caller.answer(reference) == (
        f"CON Report {reference}. We cannot find it. Check the number.\n1. Try again\n0. Exit"
    )
    assert "Add information" not in caller.answer(key)
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert session.scalars(select(Note).where(Note.case_id == case.id)).all() == []
        assert case.callback_consent is False
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
        assert len(events) == len(events_before)
