"""Callers filing whole USSD reports through a real gateway while something it depends on
fails: a caller the outage reaches gets the polite "try again" ``END`` and dials again, until
the report is filed. What each was told is kept, to be checked against the cases."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from probe_data import with_probe
from sms_client import AT_KEY
from ussd_client import REPORT_ANSWERS
from web_processes import WebProcess

USSD = f"/ussd/africastalking?key={AT_KEY}"
TRY_AGAIN = "END Sorry, the service is not available right now."
CUT_OFF = "Your last session was cut off."
START_AGAIN = "2"
THANKS = "END Thank you. Your reference is "


class Callers:
    """Reports filed by callers who dial again when the service asks them to."""

    def __init__(self, gateway: WebProcess, phones: Sequence[str], name: str) -> None:
        self.gateway, self.phones, self.name = gateway, phones, name
        self.lock = threading.Lock()
        self.told: list[str] = []  # the references callers heard
        self.turned_away = 0  # the "try again" screens
        self.dialled = 0

    def report(self, n: int) -> None:
        while True:  # until the report is filed: a caller told to try again dials again
            with self.lock:
                self.dialled += 1
                session = f"ATUid_{self.name}_{n}_{self.dialled}"
            end = self._session(session, n)
            with self.lock:
                if end.startswith(THANKS):
                    self.told.append(end[len(THANKS) :].split(".")[0].replace("-", ""))
                    return
                assert end.startswith(TRY_AGAIN), end
                self.turned_away += 1

    def _session(self, session: str, n: int) -> str:
        answers: list[str] = []
        todo = with_probe(REPORT_ANSWERS)
        while True:
            answer = self.gateway.post(
                USSD,
                {"sessionId": session, "serviceCode": "*384*116#",
                 "phoneNumber": self.phones[n], "networkCode": "63902",
                 "text": "*".join(answers)},
            )  # fmt: skip
            assert answer.status == 200 and answer.body.startswith(("CON ", "END ")), answer
            if answer.body.startswith("END "):
                return answer.body
            assert todo, f"session {session} never ended: {answer.body}"
            # A redial after the outage is offered the report it left: start it again.
            answers.append(START_AGAIN if not answers and CUT_OFF in answer.body else todo.pop(0))
