"""Masking: phone numbers never reach the logs in full."""

from __future__ import annotations

import logging

import pytest

from case_store.masking import install_log_masking, mask_phone, mask_phones, mask_secrets


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
        "ref 482-177-305 case 482177305 session ATUid_123456789 at 1767225600 x+25479876543"
    )
    masked = mask_phones(text)
    for digits in ("712345321", "700 111 222", "733000444", "79876543"):
        assert digits not in masked
    assert "+2547•••••321" in masked and "%2B2547•••••444" in masked
    for kept in ("482-177-305", "482177305", "ATUid_123456789", "1767225600"):
        assert kept in masked


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
        logger.info("nothing personal here: case %s", "482177305")

    output = caplog.text
    assert "712345321" not in output and "4155551234" not in output
    assert "733000444" not in output and "s3cr3t" not in output
    assert "+2547•••••321" in output and "+141•••••234 (2)" in output
    assert "+2547•••••444" in output and "Traceback" in output
    assert caplog.records[-1].getMessage() == "nothing personal here: case 482177305"
    assert len(caplog.records) == 4
