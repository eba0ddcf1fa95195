"""Markup, template, SQL, attribute and URL injections in every free-text field of a report
arrive as text (``injections.py``; the console's own fields: ``test_console_injection.py``).

A report by USSD or SMS carries the injection as its place and its narrative, and a caseworker
adds it as a note by SMS (NOTE). The database keeps each exactly as sent (the SQL is a value,
not a statement); the console's case page, seen by that caseworker and by a supervisor, shows
the note HTML-escaped, never as markup, never evaluated. (The page never shows the place or
the narrative; ``kinga cases show --reveal`` gives them, as JSON.)
"""

from __future__ import annotations

import pytest
from injections import INJECTIONS, not_markup, shown_escaped
from probe_data import HOSTILE_PHONE, MARK, NARRATIVE, PLACE
from sms_client import REPORT_ANSWERS as SMS_ANSWERS
from sms_client import Texter
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, SUPERVISOR_PHONE
from ussd_client import REPORT_ANSWERS as USSD_ANSWERS
from ussd_client import Caller

from case_store.models import Case

REPORTED = {"Kibera": PLACE, "She is alone at night": NARRATIVE}


def with_injection(answers: list[str], injection: str) -> list[str]:
    return [f"{injection} {REPORTED[a]}" if a in REPORTED else a for a in answers]


@pytest.mark.parametrize("injection", INJECTIONS)
@pytest.mark.parametrize("channel", ["ussd", "sms"])
def test_an_injection_in_every_free_text_field_is_shown_escaped(
    app, client, db, signed_in, channel, injection
) -> None:
    caseworker = signed_in("amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    if channel == "ussd":
        end = Caller(client, phone=HOSTILE_PHONE).report(with_injection(USSD_ANSWERS, injection))
        assert end.startswith("END Thank you. Your reference is"), end
    else:
        reporter = Texter(client, phone=HOSTILE_PHONE)
        for text in with_injection(SMS_ANSWERS, injection):
            assert reporter.send(text).status_code == 200
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        reference = case.reference
        assert vault.decrypt(case.place_encrypted) == f"{injection} {PLACE}"
        assert vault.decrypt(case.narrative_encrypted) == f"{injection} {NARRATIVE}"
    note = f"{injection} note {MARK}"
    work_phone = Texter(client, phone=CASEWORKER_PHONE)
    for command in (f"ACK {reference}", f"NOTE {reference} {note}"):
        assert work_phone.send(command).status_code == 200

    for browser in (caseworker, supervisor):
        answer = browser.get(f"/staff/cases/{reference}")
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        shown_escaped(page, note)
        not_markup(page, injection)
