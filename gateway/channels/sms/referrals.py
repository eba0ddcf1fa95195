"""A service provider's answer to a referral by SMS: ``YES`` / ``NO`` and the referral code.

(The caseworker's ``REFER`` is a staff command: ``gateway.channels.sms.staff.refer``.)

A provider answers from its registered phone with ``YES R7K2QX`` or ``NO R7K2QX reason``: the
word in English or any shipped language, the code in any case, punctuation forgiven. The answer
is recorded on the case (``answer_referral``), the referring caseworker is told, and the provider
gets a short confirmation. From another phone, with a code that is not this provider's, or for a
referral answered already, the sender is told so and nothing changes. The words from a phone
that is no provider's, with a code that is no referral's, are an ordinary conversation.

A provider that answers ``YES`` alone (or with a code mistyped past reading) is asked for the
code, not taken into a report's first question: unless that phone is in the middle of a
conversation, where ``YES`` answers its question.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from case_store.enums import MessagePurpose, ReferralStatus
from case_store.models import Case, Message, OutboxRow, Referral
from case_store.operations import (
    InvalidTransition,
    answer_referral,
)
from case_store.operations.referrals import REFERRAL_ALPHABET, REFERRAL_CODE_LENGTH
from case_store.queries.referrals import find_referral_by_code
from case_store.queries.service_providers import find_provider_by_phone
from dialogs.normalise import fold_word
from dialogs.render import fold_to_gsm7
from gateway.runtime import Runtime
from workers import referral_texts as texts
from workers.referrals import (
    queue_answer_notice,
)
from workers.sms.queueing import queue_sms

log = logging.getLogger("kinga.referral_sms")

# "YES R7K2QX", "Ndiyo: r7k2qx.", "NO R7K2QX, no bed tonight": a word, the code, the reason.
_ANSWER = re.compile(
    rf"\s*([^\W\d_]+)[\s:.,;#-]*([{REFERRAL_ALPHABET}]{{{REFERRAL_CODE_LENGTH}}})"
    r"(?![^\W_])[\s.,;:!-]*(.*)",
    re.IGNORECASE | re.DOTALL,
)


# "YES", "Ndiyo.", "NO R0K2QX": the answer word with no code, or a word too short or long, or
# with letters no code has: the whole message.
_CODELESS = re.compile(r"\s*([^\W\d_]+)[\s:.,;#!-]*([^\W_]{0,8})[\s.,;:!-]*", re.IGNORECASE)


@dataclass(frozen=True)
class ReferralAnswer:
    accepted: bool
    code: str  # upper case
    reason: str  # what follows the code, as typed (may be empty)


def parse_referral_answer(text: str, languages: tuple[str, ...]) -> ReferralAnswer | None:
    """The answer in ``text`` (YES / NO in English or in ``languages``, then a code), or None."""
    match = _ANSWER.fullmatch(text)
    if match is None:
        return None
    accepted = texts.answer_words(languages).get(fold_word(match.group(1)))
    if accepted is None:
        return None
    return ReferralAnswer(accepted, match.group(2).upper(), match.group(3).strip())


def is_codeless_answer(text: str, languages: tuple[str, ...]) -> bool:
    """Whether ``text`` is YES or NO (in English or ``languages``) without a readable code."""
    match = _CODELESS.fullmatch(text)
    return match is not None and fold_word(match.group(1)) in texts.answer_words(languages)


def answer_by_sms(
    rt: Runtime,
    db: Session,
    phone: str,
    text: str,
    *,
    now: datetime,
    in_conversation: bool,
) -> tuple[Message, list[OutboxRow]] | None:
    """Handle a provider's answer in the caller's transaction: the reply queued to ``phone``
    and every outbox row to dispatch. None when ``text`` is no answer to a referral (module
    docstring): the intake then goes on with the conversation (``in_conversation``: one is
    under way from ``phone``)."""
    answer = parse_referral_answer(text, rt.profile.languages)
    if answer is None:
        if in_conversation or not is_codeless_answer(text, rt.profile.languages):
            return None
        provider = find_provider_by_phone(db, rt.vault, phone)
        if provider is None:
            return None
        log.info("provider %s answered without a referral code; asked for it", provider.id)
        language = texts.provider_language(provider.languages, rt.profile)
        return _reply(rt, db, phone, texts.render(texts.NEEDS_CODE, language, rt.profile), now)
    provider = find_provider_by_phone(db, rt.vault, phone)
    referral = find_referral_by_code(db, answer.code)
    rows: list[OutboxRow] = []
    filed_under: Case | None = None  # only a recorded answer's confirmation joins the case
    if provider is None:
        if referral is None:
            return None
        log.warning("a referral answer from a phone that is no provider's; refused")
        language, key = rt.profile.language_for(phone), texts.NOT_A_PROVIDER
    elif referral is None or referral.service_provider_id != provider.id:
        log.warning("provider %s answered an unknown referral code; refused", provider.id)
        language, key = texts.provider_language(provider.languages, rt.profile), texts.UNKNOWN_CODE
    else:
        language = texts.provider_language(provider.languages, rt.profile)
        key, rows = _record_answer(rt, db, referral, answer, now)
        recorded = key != texts.ALREADY_ANSWERED
        filed_under = referral.case if recorded else None
        outcome = referral.status.value if recorded else "answered before; nothing done"
        log.info("provider %s answered referral %s: %s", provider.id, referral.id, outcome)
    reply_text = rt.translations(language).gettext(key).format(code=answer.code)
    if language in rt.profile.fold_accents:
        reply_text = fold_to_gsm7(reply_text)
    reply, sent = _reply(rt, db, phone, reply_text, now, case=filed_under)
    return reply, [*sent, *rows]


def _reply(
    rt: Runtime, db: Session, phone: str, text: str, now: datetime, *, case: Case | None = None
) -> tuple[Message, list[OutboxRow]]:
    reply, row = queue_sms(
        db,
        rt.vault,
        phone=phone,
        text=text,
        purpose=MessagePurpose.REPLY,
        max_segments=rt.settings.sms_max_segments,
        now=now,
        case=case,
    )
    return reply, [row]


def _record_answer(
    rt: Runtime, db: Session, referral: Referral, answer: ReferralAnswer, now: datetime
) -> tuple[str, list[OutboxRow]]:
    """Record ``answer`` and queue the caseworker's notice: the provider's reply and the rows."""
    try:
        event = answer_referral(
            db, rt.vault, referral, answer.accepted, now=now, reason=answer.reason
        )
    except InvalidTransition:  # the other answer was given first
        event = None
    if event is None:
        return texts.ALREADY_ANSWERED, []
    rows = queue_answer_notice(
        db,
        rt.vault,
        referral,
        profile=rt.profile,
        max_segments=rt.settings.sms_max_segments,
        now=now,
    )
    accepted = referral.status is ReferralStatus.ACCEPTED
    return (texts.PROVIDER_ACCEPTED if accepted else texts.PROVIDER_DECLINED), rows
