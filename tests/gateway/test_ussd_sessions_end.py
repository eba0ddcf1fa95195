"""A USSD session after its END, or asked for by another phone: a polite END, nothing changed.

And leaving at the summary: "Your report was NOT sent", the report kept for a redial, a
thank-you only once the case is committed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from stored import snapshot
from ussd_client import REPORT_ANSWERS, Caller

from case_store.enums import Disposition
from case_store.models import Case, Contact

ENDED = "END This session has ended. Please dial again."
NOT_SENT = "END Your report was NOT sent. Dial again soon to finish it."
OTHER_PHONE = "+254722000111"


def cases(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def contacts(db) -> dict[str, Disposition]:
    with db() as session:
        return {c.external_id: c.disposition for c in session.scalars(select(Contact))}


def test_running_the_same_session_twice_answers_ended_and_sends_nothing(client, db, redis_client):
    """What running the README's curl session twice does: the same sessionId, other text."""
    caller = Caller(client)
    thanks = caller.report()
    assert thanks.startswith("END Thank you. Your reference is")
    stored = snapshot(db, redis_client)

    for text in ["", "1", "1*1", caller.text + "*1", "0"]:
        response = caller.post(text)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == ENDED
    assert caller.post().get_data(as_text=True) == thanks  # a retry of the last hop
    assert snapshot(db, redis_client) == stored
    assert cases(db) == 1


def test_the_ended_answer_is_in_the_callers_language(client):
    caller = Caller(client)
    caller.dial()
    menu = caller.answer("4")
    kiswahili = next(line.split(".")[0] for line in menu.splitlines() if "Kiswahili" in line)
    assert caller.answer(kiswahili).startswith("CON Karibu")
    assert caller.answer("3").startswith("END ")  # get help now: the session ends
    assert caller.post("9").get_data(as_text=True) == (
        "END Mawasiliano haya yamekwisha. Tafadhali piga simu tena."
    )


def test_another_phone_cannot_continue_or_read_a_session(client, db, redis_client):
    owner = Caller(client, session_id="ATUid_mine")
    owner.dial()
    for value in REPORT_ANSWERS[:-1]:
        summary = owner.answer(value)
    assert summary.startswith("CON Your report: neglect, Mombasa.")
    stored = snapshot(db, redis_client)

    other = Caller(client, session_id="ATUid_mine", phone=OTHER_PHONE)
    for text in [owner.text, owner.text + "*1", ""]:  # its retry, its next answer, a dial
        assert other.post(text).get_data(as_text=True) == ENDED
    assert snapshot(db, redis_client) == stored

    assert owner.answer("1").startswith("END Thank you. Your reference is")
    other_thanks = other.post(owner.text).get_data(as_text=True)
    assert other_thanks == ENDED, "another phone must not read the reference"
    assert cases(db) == 1


def test_zero_at_the_summary_is_not_sent_and_a_redial_offers_it_back(client, db):
    first = Caller(client, session_id="ATUid_left")
    first.dial()
    for value in REPORT_ANSWERS[:-1]:
        summary = first.answer(value)
    assert first.answer("0") == NOT_SENT
    assert cases(db) == 0
    assert contacts(db) == {"ATUid_left": Disposition.DROPPED}
    assert first.post(first.text + "*1").get_data(as_text=True) == ENDED  # leaving is final

    again = Caller(client, session_id="ATUid_back")
    assert again.dial() == (
        "CON Your last session was cut off.\n1. Continue where you stopped\n2. Start again\n0. Exit"
    )
    assert again.answer("1") == summary
    assert again.answer("1").startswith("END Thank you. Your reference is")
    assert cases(db) == 1
    assert contacts(db) == {
        "ATUid_left": Disposition.DROPPED,
        "ATUid_back": Disposition.CASE_OPENED,
    }


def test_zero_at_the_offer_keeps_the_report_and_says_so_again(client, db):
    first = Caller(client, session_id="ATUid_left")
    first.dial()
    for value in REPORT_ANSWERS[:-1]:
        first.answer(value)
    first.answer("0")
    second = Caller(client, session_id="ATUid_left_again")
    second.dial()
    assert second.answer("0") == NOT_SENT
    third = Caller(client, session_id="ATUid_third")
    assert third.dial().startswith("CON Your last session was cut off.")
    assert cases(db) == 0


def test_zero_before_the_summary_is_the_quick_exit(client, db):
    caller = Caller(client, session_id="ATUid_quick")
    caller.dial()
    for value in REPORT_ANSWERS[:4]:
        caller.answer(value)
    assert caller.answer("0") == "END Goodbye."
    assert Caller(client, session_id="ATUid_next").dial().startswith("CON Welcome to Kinga")
    assert contacts(db) == {"ATUid_quick": Disposition.DROPPED}
