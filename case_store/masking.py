"""Phone numbers and URL secrets in logs: ``+254712345321`` becomes ``+2547•••••321``.

``install_log_masking`` (called by the app factory and the worker) masks every record's
message, arguments and traceback when the record is created.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "•"
# "+" or its URL encoding, then 7 to 15 digits that may be grouped by single spaces, dots or
# dashes. No look-around: masking a neighbouring digit too is the safe error.
PHONE_PATTERN = re.compile(r"(?:\+|%2[Bb])[1-9](?:[ .\-]?\d){6,14}")
# Secrets that travel in URLs: the Africa's Talking webhook ``key`` and the like.
SECRET_PARAMETER = re.compile(r"(?i)\b(key|token|api_?key|password)=[^&\s\"']+")


def mask_phone(phone: str) -> str:
    """The number with its middle hidden: at least five digits, keeping up to four country and
    network digits and the last three, so staff can tell numbers apart without reading them."""
    prefix = "%2B" if phone[:3].upper() == "%2B" else "+" if phone.startswith("+") else ""
    digits = [c for c in phone[len(prefix) :] if c.isdigit()]
    hidden = max(5, len(digits) - 7)
    tail = min(3, max(0, len(digits) - hidden))
    head = len(digits) - hidden - tail
    shown_tail = "".join(digits[len(digits) - tail :]) if tail else ""
    return prefix + "".join(digits[:head]) + MASK * hidden + shown_tail


def mask_phones(text: str) -> str:
    """``text`` with every E.164-looking number masked."""
    return PHONE_PATTERN.sub(lambda match: mask_phone(match.group(0)), text)


def contains_phone(text: str) -> bool:
    return PHONE_PATTERN.search(text) is not None


def mask_secrets(text: str) -> str:
    """Phone numbers masked, and the values of secret URL parameters (``key=…``) hidden."""
    masked = SECRET_PARAMETER.sub(lambda match: f"{match.group(1)}={MASK * 3}", text)
    return mask_phones(masked)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    masked = mask_secrets(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info:
        record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)


_installed = False


def install_log_masking() -> None:
    """Mask every log record of this process as it is created, whatever logger or handler.

    Wrapping the record factory (rather than filtering handlers) also covers handlers added
    later, records propagated from child loggers, and test capture.
    """
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
