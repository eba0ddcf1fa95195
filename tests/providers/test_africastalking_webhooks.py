"""Africa's Talking's inbound SMS and delivery reports, replayed from recorded payloads."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from recorded import FIXTURES, assert_matches, cases, form, query

from gateway.providers.africastalking import sms as africastalking_sms
from gateway.providers.events import InvalidPayload, MessageStatus

PHONE = re.compile(r"\+?\d{9,}")
# The recorded inbound messages were sent at 10:15:30 UTC on that day.
NOW = datetime(2024, 3, 5, 10, 20, tzinfo=UTC)


@pytest.mark.parametrize("case", cases("africastalking/sms"))
def test_key_of_recorded_webhooks(case: dict[str, Any]) -> None:
    verified = africastalking_sms.verify(query(case["url"]), case["webhook_key"])
    assert verified is case["expect"]["verified"]


@pytest.mark.parametrize("case", cases("africastalking/sms"))
def test_parse_recorded_webhooks(case: dict[str, Any]) -> None:
    params = form(case["body"])
    expect = case["expect"]

    def parse(params: Any) -> Any:
        if case["kind"] == "inbound":
            return africastalking_sms.parse_inbound(params, now=NOW)
        return africastalking_sms.parse_status(params)

    if "invalid" in expect:
        with pytest.raises(InvalidPayload) as raised:
            parse(params)
        assert str(raised.value) == expect["invalid"]
        assert not PHONE.search(str(raised.value))
    else:
        assert_matches(parse(params), expect["event"])


def test_duplicates_carry_the_same_receipt_key() -> None:
    def load(name: str) -> Any:
        case = json.loads((FIXTURES / "africastalking" / "sms" / f"{name}.json").read_text())
        return form(case["body"])

    first = africastalking_sms.parse_inbound(load("inbound_valid"), now=NOW)
    again = africastalking_sms.parse_inbound(load("inbound_duplicate"), now=NOW)
    assert (again.provider, again.provider_id) == (first.provider, first.provider_id)
    report = africastalking_sms.parse_status(load("delivery_success"))
    repeat = africastalking_sms.parse_status(load("delivery_success_duplicate"))
    assert report == repeat


@pytest.mark.parametrize(
    ("given", "expected", "matches"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret ", "s3cret", False),
        ("S3CRET", "s3cret", False),
        ("", "s3cret", False),
        (None, "s3cret", False),
        ("", "", False),  # an unset key must not open the door
        (None, "", False),
        ("é", "é", True),
    ],
)
def test_key_matches(given: str | None, expected: str, matches: bool) -> None:
    assert africastalking_sms.key_matches(given, expected) is matches


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T10:15:30.123Z", datetime(2024, 3, 5, 10, 15, 30, 123000, tzinfo=UTC)),
        ("2024-03-05T10:15:30Z", datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-05T10:15:30", datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-05 10:15:30", datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)),
        (" 2024-03-05 10:15:30 ", datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-05T13:15:30+03:00", datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-05T10:15:30.123456Z", datetime(2024, 3, 5, 10, 15, 30, 123456, tzinfo=UTC)),
    ],
)
def test_dates_in_every_format_become_utc(value: str, expected: datetime) -> None:
    parsed = africastalking_sms.parse_date(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "05/03/2024 10:15", "2024-13-01 00:00:00", "0001-01-01T00:00:00+14:00",
     "9999-12-31T23:59:59-14:00", "２０２４-03-05"],
)  # fmt: skip
def test_dates_that_cannot_be_read(value: str) -> None:
    with pytest.raises(InvalidPayload, match="date"):
        africastalking_sms.parse_date(value)


@pytest.mark.parametrize(
    ("date", "believed"),
    [
        ("2024-03-05T10:15:30Z", True),
        ("2024-03-03T10:25:00Z", True),  # two days late: an outage, retries
        ("2024-03-05T10:24:00Z", True),  # their clock a little ahead of ours
        ("2024-03-03T10:15:00Z", False),
        ("2024-03-05T11:00:00Z", False),
        ("0001-01-01T00:00:00Z", False),
        ("9999-12-31T23:59:59Z", False),
        ("0001-01-01T00:00:00+14:00", False),  # not even representable in UTC
        ("05/03/2024 10:15", False),
        ("", False),
    ],
)
def test_a_message_is_timed_at_receipt_when_its_date_is_not_believable(
    date: str, believed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"id": "ATXid_1", "from": "+254711000123", "to": "40404", "text": "Hi", "date": date}
    sms = africastalking_sms.parse_inbound(params, now=NOW)

    assert sms.received_at == (africastalking_sms.parse_date(date) if believed else NOW)
    assert ("timed at receipt" in caplog.text) is not believed
    assert "254711000123" not in caplog.text


@pytest.mark.parametrize(
    ("provider_status", "expected"),
    [
        ("Sent", MessageStatus.SENT),
        ("Submitted", MessageStatus.SENT),
        ("Buffered", MessageStatus.SENT),
        ("Success", MessageStatus.DELIVERED),
        ("Rejected", MessageStatus.FAILED),
        ("Failed", MessageStatus.UNDELIVERED),
        ("Expired", MessageStatus.UNDELIVERED),
        ("success", MessageStatus.UNKNOWN),  # Africa's Talking capitalises; anything else is new
        ("Teleported", MessageStatus.UNKNOWN),
    ],
)
def test_every_delivery_status(provider_status: str, expected: MessageStatus) -> None:
    update = africastalking_sms.parse_status({"id": "ATXid_1", "status": provider_status})
    assert update.status is expected
    assert update.our_id is None
    assert update.status.is_final is (
        expected in {MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.UNDELIVERED}
    )


def test_unknown_status_is_logged_without_the_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    params = {"id": "ATXid_1", "status": "Teleported", "phoneNumber": "+254711000123"}
    assert africastalking_sms.parse_status(params).status is MessageStatus.UNKNOWN
    assert "Teleported" in caplog.text
    assert "254711000123" not in caplog.text


def test_blacklist_is_an_opt_out() -> None:
    blocked = {"id": "ATXid_1", "status": "Failed", "failureReason": "UserInBlackList"}
    no_credit = {"id": "ATXid_1", "status": "Failed", "failureReason": "InsufficientCredit"}
    assert africastalking_sms.parse_status(blocked).opted_out
    assert not africastalking_sms.parse_status(no_credit).opted_out


def test_ids_with_control_characters_are_refused_and_extras_dropped() -> None:
    params = {"id": "ATXid_1", "from": "+254711000123", "to": "40404", "text": "Hi"}
    with pytest.raises(InvalidPayload, match="id has control or invisible characters"):
        africastalking_sms.parse_inbound({**params, "id": "ATXid_\x00"}, now=NOW)
    sms = africastalking_sms.parse_inbound({**params, "networkCode": "639\r\n02"}, now=NOW)
    assert sms.network_code is None
