"""What staff are answered, in their language: the message ids and how they are filled.

Every reply names the case by its reference only, never a name, a place or what happened: a
work phone is read on a bus, or lent. A refusal says that nothing changed. Keywords are
placeholders (``{ACK}``, ``{NOTE}`` …, ``{CONSENT}`` and ``{NOCONSENT}`` for the answers CALLED
takes) filled with the reader's own words from the tree's staff keywords, ``{pin}`` with
`` PIN`` when the deployment asks for one; times are in the deployment's time zone, written by
Babel in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from babel.dates import format_skeleton
from babel.support import Translations

from case_store.columns import as_utc
from case_store.enums import RiskLevel
from case_store.models import Case
from case_store.queries.cases import next_deadline
from case_store.references import format_reference
from dialogs.encoding import analyse
from dialogs.render import N_, fold_to_gsm7
from dialogs.staff_keywords import ANY_LANGUAGE, StaffKeywords
from gateway.runtime import Runtime

# Shown with a PIN in every example, and in every reply that asks for one.
PIN_WORD: Final = "PIN"
# CASES: one SMS, never more than this many segments.
LIST_SEGMENTS: Final = 2
# HELP lists eight commands in one SMS of at most this many segments (Arabic is UCS-2: 67
# characters a segment).
HELP_SEGMENTS: Final = 3

UNKNOWN = N_("Kinga: unknown reference {reference}. Nothing changed.")
USAGE = N_("Kinga: the case reference is missing or wrong. Send: {shape}")
ACKNOWLEDGED = N_("Kinga: case {reference} acknowledged. First contact is yours.")
CONTACT_RECORDED = N_(
    "Kinga: first contact on case {reference} recorded. Its first-contact clock is stopped."
)
CONTACT_ALREADY = N_(
    "Kinga: first contact on case {reference} was recorded already ({time}). Nothing changed."
)
CONTACT_CONSENT = N_(
    "Kinga: first contact on case {reference} recorded; the reporter agreed to services. "
    "Its first-contact clock is stopped."
)
CONTACT_REFUSAL = N_(
    "Kinga: first contact on case {reference} recorded; the reporter refused services. "
    "Its first-contact clock is stopped."
)
CONSENT_RECORDED = N_(
    "Kinga: the reporter's consent to services on case {reference} is recorded. "
    "First contact was recorded already ({time})."
)
REFUSAL_RECORDED = N_(
    "Kinga: the reporter's refusal of services on case {reference} is recorded. "
    "First contact was recorded already ({time})."
)
CONSENT_ALREADY = N_(
    "Kinga: first contact on case {reference} ({time}) and the reporter's consent to services "
    "were recorded already. Nothing changed."
)
REFUSAL_ALREADY = N_(
    "Kinga: first contact on case {reference} ({time}) and the reporter's refusal of services "
    "were recorded already. Nothing changed."
)
CONSENT_WORDS = N_(
    "Kinga: send {CALLED}{pin} {reference} alone, or followed by {CONSENT} if the reporter "
    "agreed to services or {NOCONSENT} if they refused. Nothing changed."
)
NOTED = N_("Kinga: note added to case {reference}.")
LEVEL_CHANGED = N_("Kinga: case {reference} is now {level}. First contact by {deadline}.")
LEVEL_CHANGED_CONTACTED = N_("Kinga: case {reference} is now {level}.")
LEVEL_SAME = N_("Kinga: case {reference} is already {level}. Nothing changed.")
LEVEL_WORDS = N_(
    "Kinga: give one level of {levels}, e.g. {LEVEL}{pin} {reference} {HIGH}. "
    "To lower it, add a reason. Nothing changed."
)
LEVEL_REASON = N_(
    "Kinga: lowering case {reference} to {level} needs a reason: "
    "{LEVEL}{pin} {reference} {level} reason. Nothing changed."
)
CLOSED = N_("Kinga: case {reference} closed ({reason}).")
REASONS = N_(
    "Kinga: to close case {reference}, reply {CLOSE}{pin} {reference} and one of: {reasons}"
)
ALREADY_CLOSED = N_("Kinga: case {reference} is closed. Nothing changed.")
ASSIGNED_ELSEWHERE = N_(
    "Not allowed: case {reference} is assigned to another caseworker. Nothing changed."
)
NOT_ALLOWED = N_("Not allowed: case {reference} is outside your role or areas. Nothing changed.")
CLAIM_FIRST = N_(
    "Kinga: case {reference} is not assigned to you. Reply {ACK}{pin} {reference} first. "
    "Nothing changed."
)
EMPTY_NOTE = N_(
    "Kinga: the note was empty or too long. Send {NOTE}{pin} {reference} and your note."
)
DEACTIVATED = N_("Kinga: this phone can no longer act on cases. Nothing changed.")
PIN_REFUSED = N_(
    "Kinga: PIN missing or wrong. Put it after the command: {ACK} PIN 482177302. Nothing changed."
)
PIN_LIMITED = N_("Kinga: too many wrong PINs from this phone. Try again later. Nothing changed.")
HELP = N_(
    "Kinga commands: {ACK} ref = take the case. {CALLED} ref = first contact made; add "
    "{CONSENT} if the reporter agreed to services, {NOCONSENT} if not. "
    "{NOTE} ref text. {LEVEL} ref {HIGH} reason. {REFER} ref service. {CLOSE} ref {RESOLVED}. "
    "{CASES} = your open cases. ref: 482177302"
)
HELP_PIN = N_("Put your PIN after each command: {ACK} PIN 482177302.")
CASES = N_("Kinga: your open cases, most urgent first:")
NO_CASES = N_("Kinga: you have no open cases.")
MORE_CASES = N_("+{count} more")


def level_initials(translations: Translations) -> dict[RiskLevel, str]:
    """A short form per level (a letter in English) for the list of cases, in the reader's
    language."""
    # Translators: the short form of a level (IMMEDIATE, HIGH, MEDIUM, LOW) in the SMS list
    # of a caseworker's cases: one letter where the language allows, else the level's word;
    # the four must differ.
    return {
        RiskLevel.IMMEDIATE: str(translations.pgettext("level initial", "I")),
        RiskLevel.HIGH: str(translations.pgettext("level initial", "H")),
        RiskLevel.MEDIUM: str(translations.pgettext("level initial", "M")),
        RiskLevel.LOW: str(translations.pgettext("level initial", "L")),
    }


@dataclass(frozen=True)
class Voice:
    """How replies are written for one reader: their language, words and time zone."""

    rt: Runtime
    language: str
    now: datetime

    @property
    def translations(self) -> Translations:
        return self.rt.translations(self.language)

    @property
    def keywords(self) -> StaffKeywords:
        return self.rt.tree.sms.staff

    @property
    def pin(self) -> bool:
        return bool(self.rt.settings.staff_sms_pin)

    def say(self, message: str, **values: str) -> str:
        """``message`` translated and filled, folded to GSM-7 if the deployment says so."""
        keywords = self.keywords
        words = {
            verb.upper(): keywords.display(keywords.verbs, verb, self.language)
            for verb in keywords.verbs.get(ANY_LANGUAGE, {})
        }
        words["HIGH"] = self.level(RiskLevel.HIGH)
        words["RESOLVED"] = keywords.display(keywords.reasons, "resolved", self.language)
        words["CONSENT"] = keywords.display(keywords.consent, "yes", self.language)
        words["NOCONSENT"] = keywords.display(keywords.consent, "no", self.language)
        words["pin"] = f" {PIN_WORD}" if self.pin else ""
        return self.fold(self.translations.gettext(message).format_map(words | values))

    def fold(self, text: str) -> str:
        return fold_to_gsm7(text) if self.language in self.rt.profile.fold_accents else text

    def level(self, level: RiskLevel) -> str:
        return self.keywords.display(self.keywords.levels, level.value, self.language)

    def reason(self, reason: str) -> str:
        return self.keywords.display(self.keywords.reasons, reason, self.language)

    def time(self, at: datetime) -> str:
        """``14:30`` today in the deployment's zone, else ``Mar 9 14:30`` (Babel, the reader's
        language)."""
        zone = self.rt.profile.time_zone
        local = as_utc(at, "at").astimezone(zone)
        clock = format_skeleton("Hm", local, locale=self.language)
        if local.date() == as_utc(self.now, "now").astimezone(zone).date():
            return clock
        return f"{format_skeleton('MMMd', local, locale=self.language)} {clock}"

    def case_list(self, cases: Sequence[Case], total: int, max_segments: int) -> str:
        """``CASES`` as one SMS: a line per case (reference, level initial, the deadline it
        waits on), as many as fit, then ``+N more``."""
        if not cases:
            return self.say(NO_CASES)
        initials = level_initials(self.translations)
        lines = []
        for case in cases:
            due = next_deadline(case)
            line = f"{format_reference(case.reference)} {initials[case.risk_level]}"
            lines.append(line if due is None else f"{line} {self.time(due)}")
        header, shown = self.say(CASES), len(lines)
        while True:
            text = self.fold("\n".join([header, *lines[:shown]]))
            if shown < total:
                text += "\n" + self.say(MORE_CASES, count=str(total - shown))
            if shown == 1 or analyse(text).segments <= min(LIST_SEGMENTS, max_segments):
                return text
            shown -= 1
