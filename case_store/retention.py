"""Retention periods: how long each kind of personal data is kept, read from the deployment
profile (``retention:``). The purge that applies them is ``case_store.operations.retention``.

- ``reporter_phone``: a reporter's encrypted number, once every case they reported has been
  closed that long (or, with no case, since the reporter was first seen) and every missed call
  of theirs was called back that long ago (one waiting for its call back keeps it);
- ``narrative``: a case's narrative and place name, that long after the case closed;
- ``message_body`` and ``message_phone``: a logged SMS's text and number, that long after it
  was logged (the phone hash stays, for counts and opt-out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

KINDS = ("reporter_phone", "narrative", "message_body", "message_phone")
_PERIOD = re.compile(r"(\d+)\s*([dy])")
_UNIT = {"d": timedelta(days=1), "y": timedelta(days=365)}


class InvalidRetention(ValueError):
    """The profile's ``retention:`` section is incomplete or malformed."""


@dataclass(frozen=True)
class RetentionPolicy:
    reporter_phone: timedelta = timedelta(days=90)
    narrative: timedelta = timedelta(days=5 * 365)
    message_body: timedelta = timedelta(days=30)
    message_phone: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        for kind in KINDS:
            if getattr(self, kind) <= timedelta(0):
                raise InvalidRetention(f"retention.{kind} must be a positive period")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RetentionPolicy:
        """``{reporter_phone: 90d, narrative: 5y, message_body: 30d, message_phone: 30d}``;
        every kind must be given, in days (``d``) or 365-day years (``y``)."""
        if not isinstance(data, Mapping):
            raise InvalidRetention("retention: expected a mapping")
        unknown = sorted(str(k) for k in set(data) - set(KINDS))
        if unknown:
            raise InvalidRetention(f"retention: unknown data kinds {unknown}")
        missing = [kind for kind in KINDS if kind not in data]
        if missing:
            raise InvalidRetention(f"retention: no period for {', '.join(missing)}")
        return cls(**{kind: _period(data[kind], f"retention.{kind}") for kind in KINDS})

    def describe(self) -> dict[str, str]:
        return {kind: f"{getattr(self, kind).days}d" for kind in KINDS}


def _period(value: Any, where: str) -> timedelta:
    match = _PERIOD.fullmatch(str(value).strip())
    if isinstance(value, bool) or not match:
        raise InvalidRetention(f"{where}: {value!r} is not a period such as 30d or 5y")
    return int(match.group(1)) * _UNIT[match.group(2)]
