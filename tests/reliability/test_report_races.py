"""Two phones file 50 whole USSD reports at once, across two real gateways.

Ten callers at a time, from two phones, each hop of a session going to the gateway the hop
before did not (so a session continues in another process): every session ends with a
reference that passes its check digit, no two alike, and every one of them is a case.
A phone whose other session is still open may be offered it back; the caller starts again.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from delivered import alerts, references, unqueued_messages
from probe_data import RACE_PHONES, with_probe
from sms_client import AT_KEY
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from ussd_client import REPORT_ANSWERS
from web_processes import WebProcess

from case_store.references import is_valid_reference

PHONES = RACE_PHONES
REPORTS = 50
AT_ONCE = 10
USSD = f"/ussd/africastalking?key={AT_KEY}"
REFERENCE = re.compile(r"Your reference is (\d{3}-\d{3}-\d{3})")
CUT_OFF = "Your last session was cut off."
START_AGAIN = "2"


def report(gateways: tuple[WebProcess, WebProcess], n: int) -> str:
    """One caller's whole report; the END screen."""
    answers: list[str] = []
    hop = 0

    def post(text: str) -> str:
        nonlocal hop
        answer = gateways[(n + hop) % 2].post(
            USSD,
            {"sessionId": f"ATUid_race_{n}", "serviceCode": "*384*116#",
             "phoneNumber": PHONES[n % 2], "networkCode": "63902", "text": text},
        )  # fmt: skip
        hop += 1
        assert answer.status == 200 and answer.body.startswith(("CON ", "END ")), answer
        return answer.body

    screen = post("")
    if CUT_OFF in screen:
        answers.append(START_AGAIN)
        screen = post(START_AGAIN)
    for value in with_probe(REPORT_ANSWERS):
        answers.append(value)
        screen = post("*".join(answers))
    assert screen.startswith("END "), screen
    return screen


def test_fifty_concurrent_reports_from_two_phones_are_fifty_cases(
    gateways, app, db, redis_client
) -> None:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        ends = list(pool.map(lambda n: report(gateways, n), range(REPORTS)))

    told = []
    for end in ends:
        found = REFERENCE.search(end)
        assert found, end
        told.append(found.group(1).replace("-", ""))
    assert len(set(told)) == REPORTS
    assert all(is_valid_reference(reference) for reference in told)
    assert sorted(references(db)) == sorted(told)
    assert alerts(db) == REPORTS and unqueued_messages(db) == 0
