"""What a finished dialog (or a hotline agent's call form) hands to the case store, and its
validation.

The answer keys and values are a fixed contract with the dialog engine. Validation happens
before anything is written, and error messages name the offending field but never repeat its
value: a mistaken value may be a phone number or a narrative. A call logged in the console may
come without a number (a withheld caller ID) and may record the consents to services and to
sharing, which the dialogs do not ask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from case_store.crypto import E164
from case_store.enums import (
    AgeBand,
    CallbackTime,
    Category,
    Channel,
    ChildSex,
    ReporterRelationship,
)

MAX_FREE_TEXT = 2000
MAX_PROVIDER = 32
MAX_EXTERNAL_ID = 128
LOCATION_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
YES_NO = ("yes", "no")
REQUIRED_KEYS = frozenset(
    {"danger", "category", "age_band", "sex", "area", "relationship", "callback"}
)
# ``sms_updates`` is optional: reports filed without the question (a focal point's one-message
# report, a session begun before it was asked) did not agree to SMS updates. The consents to
# services and to sharing are asked by a person (a hotline agent), never by the dialogs.
OPTIONAL_KEYS = frozenset(
    {"place", "narrative", "callback_time", "sms_updates", "consent_services", "consent_share"}
)
FREE_TEXT_KEYS = frozenset({"place", "narrative"})


class InvalidReport(ValueError):
    """A report that breaks the dialog contract; nothing has been written."""


@dataclass(frozen=True)
class Report:
    """What a finished dialog hands over."""

    channel: str  # "ussd" | "sms" | "voice"
    provider: str  # "africastalking" ... ("console" for a call an agent logged)
    external_id: str  # provider session id
    # E.164, used only to hash (and encrypt only with consent to a call or an SMS); None only
    # for a call whose number was not given, which cannot ask for a call back.
    phone: str | None
    language: str  # "en"
    answers: Mapping[str, str]
    started_at: datetime

    def __repr__(self) -> str:
        # Dataclass default repr would print the phone number and the narrative.
        return (
            f"Report(channel={self.channel!r}, provider={self.provider!r}, "
            f"external_id={self.external_id!r}, language={self.language!r})"
        )


@dataclass(frozen=True)
class Answers:
    """The dialog answers, parsed into their types."""

    danger: bool
    category: Category
    age_band: AgeBand
    sex: ChildSex
    area: str
    place: str | None
    relationship: ReporterRelationship
    narrative: str | None
    callback: bool
    callback_time: CallbackTime | None
    sms_updates: bool = False  # may we send an SMS when the report is updated
    # None when not asked (the dialogs never ask).
    consent_services: bool | None = None
    consent_share: bool | None = None

    def __repr__(self) -> str:
        return f"Answers(category={self.category.value!r}, area={self.area!r})"

    def structured(self) -> dict[str, str]:
        """The answers without free text, as strings: safe to store and to audit."""
        result = {
            "danger": _yes_no(self.danger),
            "category": self.category.value,
            "age_band": self.age_band.value,
            "sex": self.sex.value,
            "area": self.area,
            "relationship": self.relationship.value,
            "callback": _yes_no(self.callback),
            "sms_updates": _yes_no(self.sms_updates),
        }
        if self.callback_time is not None:
            result["callback_time"] = self.callback_time.value
        if self.consent_services is not None:
            result["consent_services"] = _yes_no(self.consent_services)
        if self.consent_share is not None:
            result["consent_share"] = _yes_no(self.consent_share)
        return result


E = TypeVar("E", bound=StrEnum)


def parse_answers(answers: Mapping[str, str]) -> Answers:
    """Validate the dialog answers; raises ``InvalidReport`` naming the first bad field."""
    unknown = set(answers) - REQUIRED_KEYS - OPTIONAL_KEYS
    if unknown:
        raise InvalidReport(f"unknown answer keys: {', '.join(sorted(unknown))}")
    missing = REQUIRED_KEYS - set(answers)
    if missing:
        raise InvalidReport(f"missing answers: {', '.join(sorted(missing))}")
    for key, value in answers.items():
        if not isinstance(value, str):
            raise InvalidReport(f"answer {key!r} must be a string")
    callback = _parse_yes_no(answers, "callback")
    callback_time: CallbackTime | None = None
    if callback:
        if "callback_time" not in answers:
            raise InvalidReport("answer 'callback_time' is required when callback is yes")
        callback_time = _parse_enum(answers, "callback_time", CallbackTime)
    elif "callback_time" in answers:
        raise InvalidReport("answer 'callback_time' is only allowed when callback is yes")
    area = answers["area"]
    if not LOCATION_CODE.fullmatch(area):
        raise InvalidReport("answer 'area' must be a location code such as '047'")
    return Answers(
        danger=_parse_yes_no(answers, "danger"),
        category=_parse_enum(answers, "category", Category),
        age_band=_parse_enum(answers, "age_band", AgeBand),
        sex=_parse_enum(answers, "sex", ChildSex),
        area=area,
        place=_free_text(answers, "place"),
        relationship=_parse_enum(answers, "relationship", ReporterRelationship),
        narrative=_free_text(answers, "narrative"),
        callback=callback,
        callback_time=callback_time,
        sms_updates="sms_updates" in answers and _parse_yes_no(answers, "sms_updates"),
        consent_services=_optional_yes_no(answers, "consent_services"),
        consent_share=_optional_yes_no(answers, "consent_share"),
    )


def validate_report(report: Report) -> Answers:
    """Check every field of ``report``; returns the parsed answers."""
    try:
        Channel(report.channel)
    except ValueError:
        raise InvalidReport(
            f"channel must be one of: {', '.join(c.value for c in Channel)}"
        ) from None
    if not report.provider or len(report.provider) > MAX_PROVIDER:
        raise InvalidReport(f"provider must be 1 to {MAX_PROVIDER} characters")
    if not report.external_id or len(report.external_id) > MAX_EXTERNAL_ID:
        raise InvalidReport(f"external_id must be 1 to {MAX_EXTERNAL_ID} characters")
    if report.phone is not None and (
        not isinstance(report.phone, str) or not E164.fullmatch(report.phone)
    ):
        raise InvalidReport("phone must be in E.164 form (+ and 7 to 15 digits)")
    if not LANGUAGE.fullmatch(report.language):
        raise InvalidReport("language must be a language code such as 'en' or 'sw'")
    if report.started_at.tzinfo is None or report.started_at.utcoffset() is None:
        raise InvalidReport("started_at must be timezone-aware")
    answers = parse_answers(report.answers)
    if answers.callback and report.phone is None:
        raise InvalidReport("answer 'callback' is yes but the report has no phone to call")
    return answers


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _parse_yes_no(answers: Mapping[str, str], key: str) -> bool:
    value = answers[key]
    if value not in YES_NO:
        raise InvalidReport(f"answer {key!r} must be yes or no")
    return value == "yes"


def _optional_yes_no(answers: Mapping[str, str], key: str) -> bool | None:
    return None if key not in answers else _parse_yes_no(answers, key)


def _parse_enum(answers: Mapping[str, str], key: str, enum: type[E]) -> E:
    try:
        return enum(answers[key])
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidReport(f"answer {key!r} must be one of: {choices}") from None


def _free_text(answers: Mapping[str, str], key: str) -> str | None:
    value = answers.get(key, "").strip()
    if len(value) > MAX_FREE_TEXT:
        raise InvalidReport(f"answer {key!r} is longer than {MAX_FREE_TEXT} characters")
    return value or None
