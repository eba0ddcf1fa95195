"""Masking: phone numbers never reach the logs in full."""

from __future__ import annotations

import logging

import pytest

from case_store.masking import PhoneMaskingFilter, mask_handlers, mask_phone, mask_phones


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


@pytest.fixture
def captured() -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = logging.getLogger("kinga.test.masking")
    logger.handlers = [ListHandler()]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, lines


def test_filter_masks_messages_arguments_and_tracebacks(
    captured: tuple[logging.Logger, list[str]],
) -> None:
    logger, lines = captured
    mask_handlers(logger)
    mask_handlers(logger)  # idempotent: one filter per handler
    assert len(logger.handlers[0].filters) == 1

    logger.info("sms from %s", "+254712345321")
    logger.warning("retry for +14155551234 (%d)", 2)
    try:
        raise ValueError("provider refused +254733000444")
    except ValueError:
        logger.exception("send failed")
    logger.info("nothing personal here: case %s", "482177305")

    output = "\n".join(lines)
    assert "712345321" not in output and "4155551234" not in output
    assert "733000444" not in output
    assert "+2547•••••321" in output and "+141•••••234 (2)" in output
    assert "+2547•••••444" in output and "Traceback" in output
    assert lines[-1] == "nothing personal here: case 482177305"


def test_filter_keeps_every_record(captured: tuple[logging.Logger, list[str]]) -> None:
    logger, lines = captured
    logger.handlers[0].addFilter(PhoneMaskingFilter())
    for n in range(5):
        logger.info("line %d", n)
    assert lines == [f"line {n}" for n in range(5)]
