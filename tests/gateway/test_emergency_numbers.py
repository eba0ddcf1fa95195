""" "Get help now" shows the caller's own country's numbers, never another country's police."""

from __future__ import annotations

import pytest
from sms_client import Texter
from ussd_client import Caller


@pytest.mark.parametrize(
    ("phone", "shown", "never"),
    [
        ("+254712345321", ["116", "999"], []),
        ("+258840020001", ["116", "119"], ["999"]),  # Mozambique, in Portuguese
        ("+243810000001", ["117"], ["999", "116"]),  # DR Congo: helpline only
        ("+249910000001", ["9696", "999"], ["116"]),  # Sudan, in Arabic
    ],
)
def test_get_help_now_over_ussd_shows_the_callers_country_numbers(client, phone, shown, never):
    caller = Caller(client, phone=phone)
    caller.dial()
    screen = caller.answer("3")
    assert screen.startswith("END")
    for number in shown:
        assert number in screen, screen
    for number in never:
        assert number not in screen, screen


def test_help_over_sms_shows_the_callers_country_numbers(client, app, db) -> None:
    from sqlalchemy import select

    from case_store.enums import Direction
    from case_store.models import Message

    Texter(client, "africastalking", phone="+258840020001").send("AJUDA")
    rt = app.extensions["kinga"]
    with db() as session:
        bodies = [
            rt.vault.decrypt(m.body_encrypted)
            for m in session.scalars(select(Message).where(Message.direction == Direction.OUTBOUND))
        ]
    text = " ".join(bodies)
    assert "119" in text and "999" not in text, bodies
