"""Staff texts (alerts, reminders, command replies) are Babel messages like the dialogs', but
the tree check does not see them: this test holds them to the same bar in every enabled
language, with the longest deadline Babel writes in that language, and the staff keywords of
the tree to the verbs, levels, reasons and consent answers the gateway knows. Reminders and the
first-contact escalation are held to one SMS (one GSM-7 segment; two in Arabic, which is
UCS-2)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from case_store.enums import RiskLevel
from dialogs.encoding import analyse, normalise
from dialogs.normalise import fold_word
from dialogs.render import fold_to_gsm7, load_translations
from dialogs.tree import default_tree_path, load_tree, placeholders
from gateway.channels.sms.staff import replies
from gateway.channels.sms.staff.replies import Voice, level_initials
from gateway.channels.sms.staff.verbs import SMS_CLOSURE_REASONS, VERBS, CaseVerb
from gateway.config.profile import load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT, DEFAULT_SMS_MAX_SEGMENTS
from workers import alerts

PROFILE = load_profile(DEFAULT_DEPLOYMENT)
STAFF = load_tree(default_tree_path()).sms.staff
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
with (Path(__file__).resolve().parents[2] / "locales" / "messages.pot").open("rb") as pot:
    EXTRACTED = {message.id for message in read_po(pot)}
# Every message id the replies module defines (its other constants are no message).
REPLIES = [
    value
    for name, value in vars(replies).items()
    if name.isupper() and isinstance(value, str) and value in EXTRACTED
]
SHAPES = [verb.shape for verb in VERBS.values() if isinstance(verb, CaseVerb)]
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
    *alerts.LEVELS.values(),
    *REMINDERS,
    *REPLIES,
    *SHAPES,
]
LONGEST = {
    "reference": "482-177-302",
    "ack": "482177302",
    "level": "IMMEDIATE",
    "area": "Elgeyo-Marakwet",
    "time": "Mar 19 14:30",
    "reason": "CHILD_AGED_OUT",
    "count": "35",
    "shape": "LEVEL PIN 482177302 HIGH reason",
}


@pytest.fixture
def voices(app):
    """A reply writer per language, with and without a deployment PIN."""
    rt = app.extensions["kinga"]
    with_pin = replace(rt, settings=replace(rt.settings, staff_sms_pin="12345678"))
    return {
        (language, pin): Voice(with_pin if pin else rt, language, NOW)
        for language in PROFILE.languages
        for pin in (False, True)
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
        words = re.sub(r"\{\w+\}", "", msgid)  # nothing to translate in "{ACK}{pin} 482177302"
        if language != "en" and any(char.isalpha() for char in words):
            assert translated != msgid, f"{language}: not translated: {msgid!r}"
        assert sorted(placeholders(translated)) == sorted(placeholders(msgid)), msgid
        for keyword in ("ACK", "NOTE", "CLOSE", "CALLED"):  # in alerts: typed in English
            assert msgid.count(keyword) == translated.count(keyword), (language, msgid)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_fits_the_segment_limit(language, voices):
    for pin in (False, True):
        voice = voices[language, pin]
        longest = LONGEST | {
            "deadline": longest_deadline(language),
            "levels": ", ".join(voice.level(level) for level in RiskLevel),
            "reasons": ", ".join(voice.reason(reason) for reason in SMS_CLOSURE_REASONS),
        }
        for msgid in MESSAGES:
            text = normalise(voice.say(msgid, **longest))
            assert analyse(text).segments <= DEFAULT_SMS_MAX_SEGMENTS, (language, msgid, text)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_help_fits_its_segments_with_or_without_a_pin(language, voices):
    for pin in (False, True):
        voice = voices[language, pin]
        text = voice.say(replies.HELP)
        if pin:
            text = f"{text} {voice.say(replies.HELP_PIN)}"
        assert analyse(text).segments <= replies.HELP_SEGMENTS, (language, pin, text)
        for verb in ("ack", "called", "note", "level", "close", "cases"):
            assert STAFF.display(STAFF.verbs, verb, language) in text, (language, verb)
        for answer in ("yes", "no"):
            assert STAFF.display(STAFF.consent, answer, language) in text, (language, answer)
        assert ("PIN" in text) is pin


@pytest.mark.parametrize("language", PROFILE.languages)
def test_level_short_forms_differ_and_level_names_can_be_typed(language):
    translations = load_translations(language)
    initials = level_initials(translations)
    assert len(set(initials.values())) == len(RiskLevel)
    for level, msgid in alerts.LEVELS.items():
        # What an alert calls the level is a word LEVEL takes, accents folded or not.
        shown = translations.gettext(msgid)
        for typed in (shown, fold_to_gsm7(shown)):
            assert STAFF.leading(STAFF.levels, f"{typed} because", [language]) == (
                level.value,
                "because",
            ), (language, typed)


def test_every_reply_is_checked_here():
    assert {replies.USAGE, replies.HELP, replies.MORE_CASES, replies.PIN_REFUSED} <= set(REPLIES)
    assert replies.PIN_WORD not in REPLIES


def test_the_tree_names_the_verbs_levels_reasons_and_answers_the_gateway_knows():
    assert set(STAFF.verbs["any"]) == set(VERBS)
    assert set(STAFF.levels["any"]) == {level.value for level in RiskLevel}
    assert list(STAFF.reasons["any"]) == list(SMS_CLOSURE_REASONS)
    assert list(STAFF.consent["any"]) == ["yes", "no"]
    for language in PROFILE.languages:
        for verb in VERBS:
            assert STAFF.verb(STAFF.display(STAFF.verbs, verb, language), [language]) == verb
        # English works from every staff phone, whatever its language.
        assert STAFF.verb("called", [language]) == "called"
        assert STAFF.leading(STAFF.consent, "consent", [language]) == ("yes", "")
        yes, no = (STAFF.display(STAFF.consent, answer, language) for answer in ("yes", "no"))
        assert STAFF.leading(STAFF.consent, yes, [language]) == ("yes", "")
        assert STAFF.leading(STAFF.consent, no, [language]) == ("no", "")
        assert fold_word(STAFF.display(STAFF.levels, "high", language))
