"""Staff texts (alerts, reminders, command replies) are Babel messages like the dialogs', but
the tree check does not see them: this test holds them to the same bar in every enabled
language, with the longest deadline Babel writes in that language. Reminders and the
first-contact escalation are held to one SMS (one GSM-7 segment; two in Arabic, which is
UCS-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.encoding import analyse, normalise
from dialogs.render import fold_to_gsm7, load_translations
from dialogs.tree import placeholders
from gateway.channels.sms import staff as staff_sms
from gateway.config.profile import load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT, DEFAULT_SMS_MAX_SEGMENTS
from workers import alerts

PROFILE = load_profile(DEFAULT_DEPLOYMENT)
REMINDERS = [
    alerts.REMIND_ASSIGN,
    alerts.REMIND_CONTACT,
    alerts.REMIND_CONTACT_UNASSIGNED,
    alerts.CONTACT_OVERDUE,
]
MESSAGES = [
    alerts.NEW_CASE,
    alerts.ESCALATION,
    alerts.FALLBACK,
    *REMINDERS,
    *alerts.LEVELS.values(),
    staff_sms.USAGE,
    *staff_sms._OUTCOMES,
]
LONGEST = {
    "reference": "482-177-302",
    "ack": "482177302",
    "level": "IMMEDIATE",
    "area": "Elgeyo-Marakwet",
    "reason": "child_aged_out",
    "reasons": ", ".join(staff_sms.SMS_CLOSURE_REASONS),
}


def longest_deadline(language: str) -> str:
    """The longest deadline Babel writes in ``language``: every month, at its longest time."""
    zone = PROFILE.time_zone
    now = datetime(2026, 1, 1, tzinfo=zone)
    moments = [
        datetime(2026, month, 28, hour, 59, tzinfo=zone)
        for month in range(1, 13)
        for hour in (11, 23)
    ]
    texts = [
        alerts.deadline_text(moment, now=now, time_zone=PROFILE.time_zone, language=language)
        for moment in moments
    ]
    return max(texts, key=len)


def filled(language: str, msgid: str) -> str:
    """``msgid`` in ``language`` with its longest values: the longest level in that language
    and the longest deadline it writes."""
    translations = load_translations(language)
    level = max((translations.gettext(word) for word in alerts.LEVELS.values()), key=len)
    values = {**LONGEST, "level": level, "deadline": longest_deadline(language)}
    text = translations.gettext(msgid).format_map(values)
    return fold_to_gsm7(text) if language in PROFILE.fold_accents else text


def test_deadlines_are_written_as_each_language_writes_them():
    due = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)  # 01:00 on the 4th in Nairobi
    shown = {
        language: alerts.deadline_text(
            due, now=due - timedelta(hours=3), time_zone=PROFILE.time_zone, language=language
        )
        for language in PROFILE.languages
    }
    assert shown == {
        "en": "Mar 4, 1:00\u202fAM",
        "sw": "4 Mac 01:00",
        "fr": "4 mars 01:00",
        "ar": "4 مارس، 1:00 ص",
        "pt": "4 de mar. 01:00",
    }
    assert alerts.deadline_text(due, now=due, time_zone=PROFILE.time_zone, language="fr") == "01:00"


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_reminder_is_one_sms(language):
    for msgid in REMINDERS:
        analysis = analyse(normalise(filled(language, msgid)))
        assert analysis.segments == (2 if language == "ar" else 1), (language, msgid)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_is_translated_with_the_same_placeholders(language):
    translations = load_translations(language)
    for msgid in MESSAGES:
        translated = translations.gettext(msgid)
        if language != "en":
            assert translated != msgid, f"{language}: not translated: {msgid!r}"
        assert sorted(placeholders(translated)) == sorted(placeholders(msgid)), msgid
        for keyword in ("ACK", "NOTE", "CLOSE", "CALLED"):
            assert msgid.count(keyword) == translated.count(keyword), (language, msgid)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_fits_the_segment_limit(language):
    for msgid in MESSAGES:
        text = normalise(filled(language, msgid))
        assert analyse(text).segments <= DEFAULT_SMS_MAX_SEGMENTS, (language, msgid)
