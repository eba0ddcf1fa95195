"""A caller on Africa's Talking: each answer is appended to the cumulative ``text``."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PHONE = "+254712345321"

# Main menu → report → not in danger now → neglect → 5-11 → girl → Mombasa (typed: the first
# letters of the area's name) → place → neighbour → narrative → no call-back → no SMS updates
# → send.
REPORT_ANSWERS = [
    "1", "2", "3", "2", "1", "Mombasa", "Kibera", "3", "She is alone at night", "2", "2", "1",
]  # fmt: skip
# The same, at the other levels: a child in danger now (immediate, after a screen that gives the
# emergency numbers: continue), and sexual abuse (high).
IMMEDIATE_ANSWERS = [
    "1",
    "1",
    "1",
    "3",
    "2",
    "1",
    "Mombasa",
    "Kibera",
    "3",
    "She is alone at night",
    "2",
    "2",
    "1",
]
HIGH_ANSWERS = [
    "1", "2", "2", "2", "1", "Mombasa", "Kibera", "3", "She is alone at night", "2", "2", "1",
]  # fmt: skip


@dataclass
class Caller:
    client: FlaskClient
    session_id: str = "ATUid_test_1"
    phone: str = PHONE
    answers: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "*".join(self.answers)

    @property
    def url(self) -> str:
        key = self.client.application.extensions["kinga"].settings.at_webhook_key
        return f"/ussd/africastalking?key={key}"

    def post(self, text: str | None = None) -> TestResponse:
        return self.client.post(
            self.url,
            data={
                "sessionId": self.session_id,
                "serviceCode": "*384*116#",
                "phoneNumber": self.phone,
                "networkCode": "63902",
                "text": self.text if text is None else text,
            },
        )

    def dial(self) -> str:
        self.answers = []
        return self._screen(self.post(""))

    def answer(self, value: str) -> str:
        self.answers.append(value)
        return self._screen(self.post())

    @staticmethod
    def _screen(response: TestResponse) -> str:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")), body
        return body

    def report(self, answers: list[str] = REPORT_ANSWERS) -> str:
        self.dial()
        screen = ""
        for value in answers:
            screen = self.answer(value)
        return screen
