"""What reaches the logs: phone numbers masked (``+254712345321`` becomes ``+2547•••••321``),
URL secrets hidden, and one record never more than one line.

``install_log_masking`` (called by the app factory and the worker) treats every record when it
is created. Its message, arguments included, has every control character escaped (a newline
becomes ``\\n``): providers send ids, session ids and texts of their own, and a newline in one
would otherwise let a caller forge a log line. Terminal colour codes (``ESC [ … m``) are
removed instead: libraries colour their own arguments (RQ does), and a caller's could hide
text. A record's traceback and stack keep their line breaks, but every line of them is
indented, so no line of it can pass for a record of its own (log collectors take indented
lines for the continuation of the record above).

A record's other fields (``extra=…``: anything a structured log line carries) are masked as
they reach a handler, by ``MaskingFilter``, and so is a run of ten or more digits anywhere: a
number written without "+", international or local. Fields Kinga makes itself and knows to be
safe (``SAFE_FIELDS``: the request and job ids) are left as they are.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "•"
# "+" or its URL encoding, then 7 to 15 digits that may be grouped by single spaces, dots or
# dashes. No look-around: masking a neighbouring digit too is the safe error.
PHONE_PATTERN = re.compile(r"(?:\+|%2[Bb])[1-9](?:[ .\-]?\d){6,14}")
# Any run of 7 or more digits, grouped or not: what a number written without "+" (or a
# reference) looks like in text Kinga did not write itself, such as an exception's message.
LONG_NUMBER = re.compile(r"\d(?:[ .\-]?\d){6,}")
# Ten or more digits in a row: a phone number without "+" (0711000456, 254711000456).
BARE_NUMBER = re.compile(r"\d{10,}")
# Secrets that travel in URLs: the Africa's Talking webhook ``key`` and the like.
SECRET_PARAMETER = re.compile(r"(?i)\b(key|token|api_?key|password)=[^&\s\"']+")
# Terminal colours (SGR sequences), removed rather than escaped.
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: everything a log
# viewer, a terminal or ``str.splitlines`` may take for a line break or a command.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
CONTINUATION_INDENT = "  "


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


def mask_numbers(text: str) -> str:
    """``text`` with every number that could be a phone's masked, with or without "+"."""
    return LONG_NUMBER.sub(lambda match: mask_phone(match.group(0)), mask_phones(text))


def contains_phone(text: str) -> bool:
    return PHONE_PATTERN.search(text) is not None


def mask_secrets(text: str) -> str:
    """Phone numbers masked, and the values of secret URL parameters (``key=…``) hidden."""
    masked = SECRET_PARAMETER.sub(lambda match: f"{match.group(1)}={MASK * 3}", text)
    return mask_phones(masked)


def mask_log_text(text: str) -> str:
    """What a log line may show of ``text``: ``mask_secrets``, and bare runs of ten or more
    digits masked too."""
    return BARE_NUMBER.sub(lambda match: mask_phone(match.group(0)), mask_secrets(text))


def mask_value(value: Any) -> Any:
    """``value`` as a structured log line may carry it: every string in it through
    ``mask_log_text`` (inside dicts, lists and tuples too), a whole number as long as a phone
    number masked as one."""
    if isinstance(value, str):
        return escape_controls(mask_log_text(value))
    if isinstance(value, bool) or not isinstance(value, int | dict | list | tuple):
        return value
    if isinstance(value, int):
        return mask_phone(str(value)) if BARE_NUMBER.fullmatch(str(abs(value))) else value
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    return [mask_value(item) for item in value]


# The attributes every record has; anything else on a record came from ``extra=…``.
RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}
# Fields Kinga sets itself from values it made or checked (``workers.tracing``).
SAFE_FIELDS = frozenset({"request_id", "job_id"})


class MaskingFilter(logging.Filter):
    """Masks a record's message, arguments and every extra field, for the handler it is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        for name, value in list(record.__dict__.items()):
            if name not in RECORD_FIELDS and name not in SAFE_FIELDS:
                setattr(record, name, mask_value(value))
        return True


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in NAMED_ESCAPES:
        return NAMED_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: colour codes removed, every other control character written as
    its escape (``\\n``, ``\\x1b``, ``\\u2028``)."""
    return CONTROL.sub(_escape, COLOUR.sub("", text))


def _indented_block(text: str) -> str:
    """A traceback or stack: its own line breaks kept, every other control character escaped,
    and every line indented under the record's first line."""
    lines = CONTROL_BUT_NEWLINE.sub(_escape, COLOUR.sub("", text)).split("\n")
    return "\n".join(CONTINUATION_INDENT + line for line in lines)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    masked = escape_controls(mask_log_text(message))
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info:
        exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = _indented_block(mask_log_text(exc_text))
    if record.stack_info:
        record.stack_info = _indented_block(mask_log_text(record.stack_info))


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
