"""Masking: phone numbers never reach the logs in full, and a record is one line."""

from __future__ import annotations

import io
import logging

import pytest

from case_store.masking import (
    escape_controls,
    install_log_masking,
    mask_numbers,
    mask_phone,
    mask_phones,
    mask_secrets,
)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+254712345321", "+2547•••••321"),
        ("+14155551234", "+141•••••234"),
        ("+2547 1234 5321", "+2547•••••321"),
        ("+254-712-345-321", "+2547•••••321"),
        ("%2B254712345321", "%2B2547•••••321"),
        ("+1234567", "+•••••67"),
        ("+123456789012345", "+1234••••••••345"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_mask_phones_in_text_leaves_references_and_ids_alone() -> None:
    text = (
        "inbound from=+254712345321 to +254 700 111 222, url phoneNumber=%2B254733000444 "
        "ref 482-177-302 case 482177302 session ATUid_123456789 at 1767225600 x+25479876543"
    )
    masked = mask_phones(text)
    for digits in ("712345321", "700 111 222", "733000444", "79876543"):
        assert digits not in masked
    assert "+2547•••••321" in masked and "%2B2547•••••444" in masked
    for kept in ("482-177-302", "482177302", "ATUid_123456789", "1767225600"):
        assert kept in masked


def test_mask_numbers_also_hides_numbers_written_without_a_plus() -> None:
    """For text Kinga did not write (an exception's message): any run of 7 digits or more."""
    text = "to 254712345321 or 0712 345 321 or +254700111222, case 42, job outbox-17"
    masked = mask_numbers(text)
    for digits in ("712345321", "0712 345", "700111222"):
        assert digits not in masked
    assert "2547•••••321" in masked and "+2547•••••222" in masked
    assert masked.endswith("case 42, job outbox-17")


def test_mask_secrets_hides_url_keys_and_numbers() -> None:
    line = "POST /ussd/africastalking?key=s3cr3t&x=1 from +254712345321 api_key=abc"
    masked = mask_secrets(line)
    assert "s3cr3t" not in masked and "abc" not in masked and "712345" not in masked
    assert "key=•••" in masked and "+2547•••••321" in masked


def test_every_record_is_masked_whatever_logger_or_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_masking()
    install_log_masking()  # idempotent
    logger = logging.getLogger("third.party.library")
    with caplog.at_level(logging.DEBUG):
        logger.info("sms from %s", "+254712345321")
        logger.warning("retry for +14155551234 (%d)", 2)
        try:
            raise ValueError("provider refused +254733000444 at /x?key=s3cr3t")
        except ValueError:
            logger.exception("send failed")
        logger.info("nothing personal here: case %s", "482177302")

    output = caplog.text
    assert "712345321" not in output and "4155551234" not in output
    assert "733000444" not in output and "s3cr3t" not in output
    assert "+2547•••••321" in output and "+141•••••234 (2)" in output
    assert "+2547•••••444" in output and "Traceback" in output
    assert caplog.records[-1].getMessage() == "nothing personal here: case 482177302"
    assert len(caplog.records) == 4


FORGED = "2026-03-02 09:30:00,000 INFO kinga.intake: case committed from ussd: session=forged"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("ATXid_1\nINFO forged", "ATXid_1\\nINFO forged"),
        ("a\r\nb", "a\\r\\nb"),
        ("a\tb", "a\\tb"),
        ("a\x00b\x1bc\x7fd", "a\\x00b\\x1bc\\x7fd"),
        ("a\x85b\x9bc", "a\\x85b\\x9bc"),  # C1: next line, control sequence introducer
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("\x1b[31mred\x1b[0m and \x1b[8mhidden", "red and hidden"),  # colours removed
        ("Kibera, مرحبا, ç — ok", "Kibera, مرحبا, ç — ok"),
    ],
)
def test_escape_controls(text: str, escaped: str) -> None:
    assert escape_controls(text) == escaped
    assert len(escape_controls(text).splitlines()) <= 1


def _formatted(logger: logging.Logger) -> tuple[io.StringIO, logging.Handler]:
    """A real handler writing formatted records to a stream, as a deployment's would."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    return stream, handler


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r", "\u2028", "\x85", "\x0b"])
def test_a_provider_value_cannot_forge_a_log_line(
    separator: str, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_masking()
    logger = logging.getLogger("kinga.test.forging")
    provider_id = f"ATXid_1{separator}{FORGED}"
    stream, handler = _formatted(logger)
    try:
        with caplog.at_level(logging.INFO):
            logger.info("case opened from sms %s", provider_id)
            logger.info("session=" + provider_id)  # already formatted by the caller
            logger.warning("status %r is unknown", provider_id)  # repr escapes some already
    finally:
        logger.removeHandler(handler)

    for record in caplog.records:
        assert len(record.getMessage().splitlines()) == 1
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert not any(line.startswith(FORGED) for line in lines)
    assert all(" kinga.test.forging: " in line for line in lines)
    assert "ATXid_1" + escape_controls(separator) + FORGED in lines[0]


def test_a_traceback_keeps_its_lines_but_every_one_is_indented() -> None:
    install_log_masking()
    logger = logging.getLogger("kinga.test.traceback")
    stream, handler = _formatted(logger)
    try:
        try:
            raise ValueError(f"provider sent ATXid_1\n{FORGED}\u2028{FORGED}")
        except ValueError:
            logger.exception("sms webhook failed")
        logger.warning("done", stack_info=True)
    finally:
        logger.removeHandler(handler)

    lines = stream.getvalue().splitlines()
    records = [line for line in lines if not line.startswith(" ")]
    assert len(records) == 2
    assert records[0].endswith("kinga.test.traceback: sms webhook failed")
    assert records[1].endswith("kinga.test.traceback: done")
    assert "  Traceback (most recent call last):" in lines
    assert "  ValueError: provider sent ATXid_1" in lines
    assert f"  {FORGED}\\u2028{FORGED}" in lines  # indented: a continuation, not a record
    assert "  Stack (most recent call last):" in lines
