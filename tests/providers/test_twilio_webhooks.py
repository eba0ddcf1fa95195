"""Twilio's inbound and status webhooks, replayed from recorded payloads."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from recorded import FIXTURES, assert_matches, cases, form, query
from twilio.request_validator import HMAC_SHA256, RequestValidator

from gateway.providers.events import InvalidPayload, MessageStatus
from gateway.providers.twilio import sms as twilio_sms

NOW = datetime(2024, 3, 5, 10, 15, 30, tzinfo=UTC)
PHONE = re.compile(r"\+\d{6,}")


@pytest.mark.parametrize("case", cases("twilio/sms"))
def test_signature_of_recorded_webhooks(case: dict[str, Any]) -> None:
    signature = case["headers"].get(twilio_sms.SIGNATURE_HEADER)
    verified = twilio_sms.verify(case["url"], form(case["body"]), signature, case["auth_token"])
    assert verified is case["expect"]["verified"]


@pytest.mark.parametrize("case", cases("twilio/sms"))
def test_parse_recorded_webhooks(case: dict[str, Any]) -> None:
    params = form(case["body"])
    expect = case["expect"]

    def parse() -> Any:
        if case["kind"] == "inbound":
            return twilio_sms.parse_inbound(params, now=NOW)
        return twilio_sms.parse_status(params, query(case["url"]).get("id"))

    if "invalid" in expect:
        with pytest.raises(InvalidPayload) as raised:
            parse()
        reason = str(raised.value)
        assert reason == expect["invalid"]
        assert not PHONE.search(reason)
    else:
        event = parse()
        assert_matches(event, expect["event"])
        if case["kind"] == "inbound":
            assert event.received_at == NOW


def test_duplicates_carry_the_same_receipt_key() -> None:
    def key(name: str) -> tuple[str, str]:
        case = json.loads((FIXTURES / "twilio" / "sms" / f"{name}.json").read_text("utf-8"))
        event = twilio_sms.parse_inbound(form(case["body"]), now=NOW)
        return event.provider, event.provider_id

    assert key("inbound_duplicate") == key("inbound_valid")
    assert key("inbound_unicode") != key("inbound_valid")


def published() -> list[Any]:
    examples = json.loads((FIXTURES / "twilio" / "sms" / "published_examples.json").read_text())
    token = examples["auth_token"]
    return [pytest.param(token, case, id=case["about"]) for case in examples["cases"]]


@pytest.mark.parametrize(("token", "case"), published())
def test_twilio_published_signature_examples(token: str, case: dict[str, Any]) -> None:
    params = form(case["body"])
    assert twilio_sms.verify(case["url"], params, case["signature"], token) is case["valid"]


def test_no_signature_passes_without_an_auth_token() -> None:
    params = {"MessageSid": "SM1", "Body": "hi"}
    url = "https://kinga.example.org/sms/twilio/inbound"
    forged = RequestValidator("").compute_signature(url, params)
    assert not twilio_sms.verify(url, params, forged, "")
    assert not twilio_sms.verify(url, params, "", "token")
    assert not twilio_sms.verify(url, params, None, "token")


def test_sha256_signatures_follow_the_settings_header() -> None:
    url = "https://kinga.example.org/sms/twilio/inbound"
    params = {"MessageSid": "SM1", "Body": "hi"}
    secret = "shared-key-secret"
    sha256 = RequestValidator(secret).compute_signature(url, params, HMAC_SHA256)
    settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    assert twilio_sms.verify(url, params, sha256, secret, settings)
    assert not twilio_sms.verify(url, params, sha256, secret)  # read as HMAC-SHA1
    sha1 = RequestValidator(secret).compute_signature(url, params)
    assert not twilio_sms.verify(url, params, sha1, secret, settings)
    unknown = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA3"
    assert not twilio_sms.verify(url, params, sha256, secret, unknown)


EVERY_STATUS = {
    "queued": MessageStatus.QUEUED,
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "partially_delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
    "receiving": MessageStatus.UNKNOWN,
    "received": MessageStatus.UNKNOWN,
    "teleported": MessageStatus.UNKNOWN,
    "": None,
}


@pytest.mark.parametrize(("provider_status", "expected"), EVERY_STATUS.items())
def test_every_twilio_status(provider_status: str, expected: MessageStatus | None) -> None:
    params = {"MessageSid": "SM1", "MessageStatus": provider_status}
    if expected is None:
        with pytest.raises(InvalidPayload, match="MessageStatus is required"):
            twilio_sms.parse_status(params, "msg_1")
        return
    update = twilio_sms.parse_status(params, "msg_1")
    assert update.status is expected
    assert update.our_id == "msg_1"
    assert update.provider_status == provider_status


def test_the_adapter_maps_every_documented_status() -> None:
    documented = set(EVERY_STATUS) - {"teleported", ""}
    assert set(twilio_sms.STATUSES) == documented


def test_unknown_status_is_logged_without_the_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    params = {"MessageSid": "SM1", "MessageStatus": "teleported", "To": "+254711000123"}
    update = twilio_sms.parse_status(params, None)
    assert update.status is MessageStatus.UNKNOWN
    assert "teleported" in caplog.text
    assert "254711000123" not in caplog.text


def test_opt_out_is_recognised_only_for_21610() -> None:
    opted_out = twilio_sms.parse_status(
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "21610"}, None
    )
    unreachable = twilio_sms.parse_status(
        {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}, None
    )
    assert opted_out.opted_out
    assert not unreachable.opted_out


def test_reply_is_twiml() -> None:
    body, content_type = twilio_sms.render_reply("Asante. Ref 482-177-302 <ok> & done")
    assert content_type.startswith("text/xml")
    root = ElementTree.fromstring(body)  # noqa: S314 (our own output)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Message"]
    assert root[0].text == "Asante. Ref 482-177-302 <ok> & done"


@pytest.mark.parametrize("text", [None, ""])
def test_no_reply_is_an_empty_response(text: str | None) -> None:
    body, content_type = twilio_sms.render_reply(text)
    root = ElementTree.fromstring(body)  # noqa: S314 (our own output)
    assert content_type.startswith("text/xml")
    assert root.tag == "Response"
    assert len(root) == 0


@pytest.mark.parametrize(
    ("num_media", "kept"),
    [("1", True), ("10", True), ("9" * 5000, True), ("0", False), ("", False), ("²", False)],
)
def test_only_an_mms_may_come_without_body(num_media: str, kept: bool) -> None:
    params = {"MessageSid": "MM1", "From": "+254711000123", "To": "+15005550006"}
    params["NumMedia"] = num_media
    if kept:
        assert twilio_sms.parse_inbound(params, now=NOW).text == ""
    else:
        with pytest.raises(InvalidPayload, match="Body is required"):
            twilio_sms.parse_inbound(params, now=NOW)


@pytest.mark.parametrize(
    ("our_id", "kept"),
    [(" msg_1 ", "msg_1"), ("", None), ("  ", None), ("id\x00", None), ("id\nforged", None),
     ("x" * 129, "x" * 128)],
)  # fmt: skip
def test_a_callback_id_that_cannot_be_ours_is_left_out(our_id: str, kept: str | None) -> None:
    params = {"MessageSid": "SM1", "MessageStatus": "sent"}
    assert twilio_sms.parse_status(params, our_id).our_id == kept
