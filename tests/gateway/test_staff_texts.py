"""Staff texts (alerts, command replies) are Babel messages like the dialogs', but the tree
check does not see them: this test holds them to the same bar in every enabled language, and
the staff keywords of the tree to the verbs, levels and reasons the gateway knows."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from case_store.enums import RiskLevel
from dialogs.encoding import analyse
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
MESSAGES = [
    alerts.NEW_CASE,
    alerts.ESCALATION,
    alerts.FALLBACK,
    *alerts.LEVELS.values(),
    *REPLIES,
    *SHAPES,
]
LONGEST = {
    "reference": "482-177-302",
    "ack": "482177302",
    "level": "IMMEDIATE",
    "area": "Elgeyo-Marakwet",
    "deadline": "2026-03-09 14:30",
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


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_is_translated_with_the_same_placeholders(language):
    translations = load_translations(language)
    for msgid in MESSAGES:
        translated = translations.gettext(msgid)
        words = re.sub(r"\{\w+\}", "", msgid)  # nothing to translate in "{ACK}{pin} 482177302"
        if language != "en" and any(char.isalpha() for char in words):
            assert translated != msgid, f"{language}: not translated: {msgid!r}"
        assert sorted(placeholders(translated)) == sorted(placeholders(msgid)), msgid
        for keyword in ("ACK", "NOTE", "CLOSE"):  # in alerts: typed in English, kept as is
            assert msgid.count(keyword) == translated.count(keyword), (language, msgid)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_fits_the_segment_limit(language, voices):
    for pin in (False, True):
        voice = voices[language, pin]
        longest = LONGEST | {
            "levels": ", ".join(voice.level(level) for level in RiskLevel),
            "reasons": ", ".join(voice.reason(reason) for reason in SMS_CLOSURE_REASONS),
        }
        for msgid in MESSAGES:
            text = voice.say(msgid, **longest)
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


def test_the_tree_names_the_verbs_levels_and_reasons_the_gateway_knows():
    assert set(STAFF.verbs["any"]) == set(VERBS)
    assert set(STAFF.levels["any"]) == {level.value for level in RiskLevel}
    assert list(STAFF.reasons["any"]) == list(SMS_CLOSURE_REASONS)
    for language in PROFILE.languages:
        for verb in VERBS:
            assert STAFF.verb(STAFF.display(STAFF.verbs, verb, language), [language]) == verb
        # English works from every staff phone, whatever its language.
        assert STAFF.verb("called", [language]) == "called"
        assert fold_word(STAFF.display(STAFF.levels, "high", language))
