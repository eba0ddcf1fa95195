"""Africa's Talking sends everything typed in a USSD session (``1*2*3``): its adapter's rule
splits out the answer just typed, given what the session saw last."""

from __future__ import annotations

import pytest

from gateway.providers.africastalking.ussd import new_answer, parse
from gateway.providers.events import InvalidPayload, SeenText


@pytest.mark.parametrize(
    ("previous", "text", "answer"),
    [
        ("", "1", "1"),
        ("1", "1*2", "2"),
        ("1*2", "1*2*Kibera", "Kibera"),
        ("1*2", "1*2*near the *market*", "near the *market*"),  # a star inside an answer
        ("1*2", "1*2*", ""),  # an empty answer
        ("1*9", "1*2*3", "3"),  # the network rebuilt the path: the last field is the best guess
    ],
)
def test_the_new_answer_follows_the_previous_text(previous: str, text: str, answer: str) -> None:
    assert new_answer(text, SeenText.of(previous)) == answer


def test_a_parsed_hop_carries_the_rule() -> None:
    form = {"sessionId": "ATUid_1", "phoneNumber": "+254711000001", "text": "1*2*a*b"}
    request = parse(form)
    assert request.answer_after(SeenText.of("1*2")) == "a*b"
    assert SeenText.of("1*2*a*b").matches(request.text)


def test_numbers_parsed_once_are_each_their_own_and_a_bad_one_is_refused_every_time() -> None:
    """Every hop sends the caller's number again and the adapter parses each number once:
    what it keeps answers only for that number, and a number it refused is refused again."""
    numbers = {
        "+254711000001": "+254711000001",
        "+254 711 000 002": "+254711000002",
        "+255711000001": "+255711000001",
    }
    for _hop in range(3):
        for sent, e164 in numbers.items():
            assert parse({"sessionId": "ATUid_1", "phoneNumber": sent, "text": ""}).phone == e164
        for _refused in range(2):
            with pytest.raises(InvalidPayload, match="not a possible number"):
                parse({"sessionId": "ATUid_1", "phoneNumber": "+2547110", "text": ""})
