"""Phone numbers in logs: ``+254712345321`` becomes ``+2547•••••321``.

``PhoneMaskingFilter`` rewrites every log record that passes through it, including the
formatted traceback. Attach it to handlers (``mask_handlers``), not loggers: a logger's
filters do not see records propagated from its children.
"""

from __future__ import annotations

import logging
import re

MASK = "•"
# "+" or its URL encoding, then 7 to 15 digits that may be grouped by single spaces, dots or
# dashes. No look-around: masking a neighbouring digit too is the safe error.
PHONE_PATTERN = re.compile(r"(?:\+|%2[Bb])[1-9](?:[ .\-]?\d){6,14}")


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


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in the message, its arguments and any traceback; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


def mask_handlers(logger: logging.Logger | None = None) -> PhoneMaskingFilter:
    """Add one masking filter to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    masking = PhoneMaskingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
            handler.addFilter(masking)
    return masking
