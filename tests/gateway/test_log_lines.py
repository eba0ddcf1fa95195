"""A provider's ids reach the logs escaped: a newline in ``sessionId`` or ``id`` cannot forge
a log line, in captured records nor in the formatted output a deployment writes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sms_client import Texter
from ussd_client import REPORT_ANSWERS, Caller

FORGED = "2026-03-02 09:30:00,000 INFO kinga.intake: case committed from ussd: session=forged"


@pytest.fixture
def output(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What a stream handler on the ``kinga`` loggers writes, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("kinga")
    logger.addHandler(handler)
    with caplog.at_level(logging.INFO):
        yield stream
    logger.removeHandler(handler)


def assert_not_forged(stream: io.StringIO, caplog: pytest.LogCaptureFixture) -> None:
    lines = stream.getvalue().splitlines()
    assert not any(line.startswith(FORGED) for line in lines)
    assert all(line.startswith(("20", " ")) for line in lines)  # a record, or indented under one
    for record in caplog.records:
        assert len(record.getMessage().splitlines()) == 1
    assert not any(line.startswith(FORGED) for line in caplog.text.splitlines())


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\u2028"])
def test_a_ussd_session_id_cannot_forge_a_log_line(client, output, caplog, separator) -> None:
    """Refused at the edge (ids never hold control characters), and whatever is logged of
    the refusal stays on its line (the escaping itself: test_masking.py)."""
    session_id = f"ATUid_1{separator}{FORGED}"
    key = client.application.extensions["kinga"].settings.at_webhook_key
    hop = client.post(
        f"/ussd/africastalking?key={key}",
        data={"sessionId": session_id, "phoneNumber": "+254712345321", "text": ""},
    )
    assert hop.status_code == 400
    ended = client.post(
        f"/ussd/africastalking/events?key={key}",
        data={"sessionId": session_id, "phoneNumber": "+254712345321", "status": "Failed"},
    )
    assert ended.status_code == 400
    assert_not_forged(output, caplog)


def test_an_sms_id_cannot_forge_a_log_line(client, output, caplog) -> None:
    provider_id = f"ATXid_1\n{FORGED}"
    texter = Texter(client, "africastalking")
    response = texter.send("R 2 3 1 047 She works at night at the market", provider_id)
    assert response.status_code == 400
    assert_not_forged(output, caplog)


def test_values_that_are_accepted_are_logged_on_one_line(client, output, caplog) -> None:
    """A session id that passes the edge (odd, but no control character) is logged as sent."""
    session_id = "ATUid_1 INFO kinga.intake: forged?"
    screen = Caller(client, session_id=session_id).report(REPORT_ANSWERS)
    assert screen.startswith("END Thank you")
    # The same session from another phone is refused, and its id logged as sent.
    Caller(client, session_id=session_id, phone="+254700000999").dial()
    assert any(session_id in line for line in output.getvalue().splitlines())
    assert_not_forged(output, caplog)
