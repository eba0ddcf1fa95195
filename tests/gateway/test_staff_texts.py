"""Staff texts (alerts, command replies) are Babel messages like the dialogs', but the tree
check does not see them: this test holds them to the same bar in every enabled language."""

from __future__ import annotations

import pytest

from dialogs.encoding import analyse
from dialogs.render import fold_to_gsm7, load_translations
from dialogs.tree import placeholders
from gateway.channels.sms import staff as staff_sms
from gateway.config.profile import load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT, DEFAULT_SMS_MAX_SEGMENTS
from workers import alerts

PROFILE = load_profile(DEFAULT_DEPLOYMENT)
MESSAGES = [
    alerts.NEW_CASE,
    alerts.ESCALATION,
    alerts.FALLBACK,
    *alerts.LEVELS.values(),
    staff_sms.USAGE,
    *staff_sms._OUTCOMES,
]
LONGEST = {
    "reference": "482-177-302",
    "ack": "482177302",
    "level": "IMMEDIATE",
    "area": "Elgeyo-Marakwet",
    "deadline": "2026-03-09 14:30",
    "reason": "child_aged_out",
    "reasons": ", ".join(staff_sms.SMS_CLOSURE_REASONS),
}


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_is_translated_with_the_same_placeholders(language):
    translations = load_translations(language)
    for msgid in MESSAGES:
        translated = translations.gettext(msgid)
        if language != "en":
            assert translated != msgid, f"{language}: not translated: {msgid!r}"
        assert sorted(placeholders(translated)) == sorted(placeholders(msgid)), msgid
        for keyword in ("ACK", "NOTE", "CLOSE"):
            assert msgid.count(keyword) == translated.count(keyword), (language, msgid)


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_staff_text_fits_the_segment_limit(language):
    translations = load_translations(language)
    for msgid in MESSAGES:
        text = translations.gettext(msgid).format_map(LONGEST)
        if language in PROFILE.fold_accents:
            text = fold_to_gsm7(text)
        assert analyse(text).segments <= DEFAULT_SMS_MAX_SEGMENTS, (language, msgid)
