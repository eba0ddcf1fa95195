"""Logging that never carries a phone number or a webhook secret in plain text.

``install_log_masking`` wraps the log record factory, so every record from every logger
(Kinga's, Werkzeug's access lines, RQ's) is masked when it is created: phone numbers become
``+2547•••••321`` and secret ``key=`` query parameters become ``key=•••``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

PHONE_RE = re.compile(r"(?<![\w.])\+?\d[\d \-]{7,16}\d(?!\w)")
KEY_PARAM_RE = re.compile(r"(?i)\b(key|token|apikey|api_key)=[^&\s\"']+")
MASK = "•"


def mask_phone(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if len(digits) < 8:
        return MASK * len(number)
    plus = "+" if number.lstrip().startswith("+") else ""
    return f"{plus}{digits[:4]}{MASK * (len(digits) - 7)}{digits[-3:]}"


def mask_text(text: str) -> str:
    text = KEY_PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK * 3}", text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


_installed = False


def install_log_masking() -> None:
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
