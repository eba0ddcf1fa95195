"""Referrals by SMS: sending one to the provider chosen for it, telling the caseworker the
answer, and chasing the answer that does not come.

``send_referral`` (REFER by SMS, ``kinga cases refer``) checks the request, picks the provider
(``case_store.queries.service_providers.choose_provider``), records the referral and queues the
provider's SMS, all in the caller's transaction. ``queue_answer_notice`` tells the referring
caseworker what the provider answered. When a supervisor referred a case someone holds (an
override), the caseworker holding it is told too: of the referral, of the answer, of no reply.

``sweep_referrals`` runs every minute (``workers.cron``). A referral still unanswered
``referrals.remind_after`` after it was sent gets one reminder to its provider; still unanswered
at ``referrals.reply_within``, its caseworker is told. Each step is recorded on the referral by
a conditional UPDATE in the transaction that queues its SMS (``remind_referral``,
``mark_unanswered``): of two sweeps at once, or a sweep retried, exactly one sends it. A
referral past both times when the sweep first sees it (workers were down) is reported to its
caseworker without a reminder: chasing the provider then would only be late.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import MessagePurpose, ReferralStatus, Service
from case_store.models import Case, OutboxRow, Referral, User
from case_store.operations import mark_unanswered, refer, remind_referral
from case_store.operations.referrals import REFERRAL_CODE_LENGTH, check_referral
from case_store.queries.referrals import due_for_caseworker, due_for_reminder, waiting_referral
from case_store.queries.service_providers import choose_provider
from case_store.queries.users import staff_language
from case_store.references import format_reference
from dialogs.encoding import normalise, within_segments
from workers import referral_texts as texts
from workers.context import Deployment, installed
from workers.dispatch import dispatch
from workers.queues import DEFAULT
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.referrals")

JOB_QUEUE = DEFAULT
JOB_TIMEOUT = 120
BATCH = 200
PREVIEW_CODE = "X" * REFERRAL_CODE_LENGTH  # codes are fixed-length GSM-7: the same segments


class NoProvider(LookupError):
    """No active provider offers the service in the case's area (or every one was tried)."""


class NoWorkPhone(ValueError):
    """The referring user has no work phone: the provider would have nobody to call."""


class AlreadyWaiting(Exception):
    """A referral of the case for the service still waits for its provider's answer."""

    def __init__(self, referral: Referral) -> None:
        super().__init__(f"referral {referral.id} waits for its provider's answer")
        self.referral = referral


def send_referral(
    db: Session,
    vault: Vault,
    case: Case,
    service: Service,
    *,
    actor: User,
    profile: Deployment,
    max_segments: int,
    now: datetime,
    override_reason: str | None = None,
) -> tuple[Referral, list[OutboxRow]]:
    """Refer ``case`` for ``service`` and queue the provider's SMS in the caller's transaction;
    the referral and the outbox rows to dispatch after the commit.

    Raises before writing anything: the operations' refusals (``PermissionDenied``,
    ``NoConsent``, ``InvalidNote``, ``InvalidTransition``), ``AlreadyWaiting``,
    ``NoWorkPhone``, ``NoProvider``, or ``TooLong`` (the text over ``max_segments``).
    """
    check_referral(case, actor=actor, override_reason=override_reason)
    waiting = waiting_referral(db, case.id, service)
    if waiting is not None:
        raise AlreadyWaiting(waiting)
    if actor.phone_encrypted is None:
        raise NoWorkPhone(f"user {actor.id} has no work phone")
    provider = choose_provider(db, case, service)
    if provider is None or provider.phone_encrypted is None:
        raise NoProvider(f"no provider for {service.value} in area {case.location_code}")
    language = texts.provider_language(provider.languages, profile)
    phone = vault.decrypt(actor.phone_encrypted)
    preview = _provider_text(
        texts.TO_PROVIDER, language, case, service, PREVIEW_CODE, phone, profile
    )
    if not within_segments(normalise(preview), max_segments):
        raise TooLong(f"a referral in {language} is over the limit of {max_segments} segments")
    referral = refer(
        db, vault, case, provider, service, actor=actor, now=now, override_reason=override_reason
    )
    text = _provider_text(texts.TO_PROVIDER, language, case, service, referral.code, phone, profile)
    _message, row = queue_sms(
        db,
        vault,
        phone=vault.decrypt(provider.phone_encrypted),
        text=text,
        purpose=MessagePurpose.REFERRAL,
        max_segments=max_segments,
        now=now,
        case=case,
    )
    log.info("case %s: referral %s sent to provider %s", case.id, referral.id, provider.id)
    holder = case.assigned_to
    others = [holder] if holder is not None and holder.id != actor.id else []
    rows = _tell(db, vault, referral, texts.REFERRED, others, profile, max_segments, now)
    return referral, [row, *rows]


def queue_answer_notice(
    db: Session,
    vault: Vault,
    referral: Referral,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """Tell the caseworkers (``_to_tell``) that the provider accepted or declined ``referral``."""
    accepted = referral.status is ReferralStatus.ACCEPTED
    message = texts.CASEWORKER_ACCEPTED if accepted else texts.CASEWORKER_DECLINED
    return _tell_caseworker(db, vault, referral, message, profile, max_segments, now)


def sweep_referrals() -> int:
    """RQ job (every minute on the cron schedule): ``run_referral_sweep`` now; the number of
    steps taken."""
    context = installed()
    return run_referral_sweep(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        max_segments=context.max_segments,
        now=datetime.now(UTC),
    )


def run_referral_sweep(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
    batch: int = BATCH,
) -> int:
    """Take every step due at ``now`` (``batch`` of each at most, oldest first), one referral
    per transaction: first tell the caseworkers of referrals past ``reply_within``, then remind
    the providers of those past ``remind_after``. The number of steps taken."""
    late_before = now - profile.referral_reply_within
    remind_before = now - profile.referral_remind_after
    with sessions() as db:
        late = due_for_caseworker(db, sent_before=late_before, limit=batch)
    taken = 0
    for referral_id in late:
        with sessions() as db:
            referral = mark_unanswered(db, referral_id, now=now, sent_before=late_before)
            if referral is None:  # answered or reported meanwhile, by another sweep
                continue
            rows = _tell_caseworker(
                db, vault, referral, texts.CASEWORKER_NO_REPLY, profile, max_segments, now
            )
            db.commit()
        dispatch(connection, rows)
        taken += 1
        log.warning("referral %s unanswered: its caseworker is told", referral_id)
    with sessions() as db:
        due = due_for_reminder(db, sent_before=remind_before, limit=batch)
    for referral_id in due:
        with sessions() as db:
            referral = remind_referral(db, referral_id, now=now, sent_before=remind_before)
            if referral is None:
                continue
            rows = _remind_provider(db, vault, referral, profile, max_segments, now)
            db.commit()
        dispatch(connection, rows)
        taken += 1
        log.info("referral %s unanswered: its provider is reminded", referral_id)
    return taken


def _remind_provider(
    db: Session,
    vault: Vault,
    referral: Referral,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    provider, caseworker = referral.service_provider, referral.created_by
    if provider.phone_encrypted is None or caseworker.phone_encrypted is None:
        log.error("referral %s: no phone to remind or to name; no reminder", referral.id)
        return []
    language = texts.provider_language(provider.languages, profile)
    text = _provider_text(
        texts.REMINDER,
        language,
        referral.case,
        referral.service,
        referral.code,
        vault.decrypt(caseworker.phone_encrypted),
        profile,
    )
    return _queue(
        db, vault, referral, vault.decrypt(provider.phone_encrypted), text, max_segments, now
    )


def _to_tell(referral: Referral) -> list[User]:
    """Who hears what becomes of ``referral``: whoever referred it and, when someone else did
    (a supervisor's override), the caseworker holding the case, who would otherwise never
    learn of it."""
    holder = referral.case.assigned_to
    others = [holder] if holder is not None and holder.id != referral.created_by.id else []
    return [referral.created_by, *others]


def _tell_caseworker(
    db: Session,
    vault: Vault,
    referral: Referral,
    message: str,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    return _tell(db, vault, referral, message, _to_tell(referral), profile, max_segments, now)


def _tell(
    db: Session,
    vault: Vault,
    referral: Referral,
    message: str,
    users: list[User],
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    """``message`` about ``referral`` to each of ``users`` who can be reached, in their
    language."""
    case = referral.case
    rows: list[OutboxRow] = []
    for user in users:
        if not user.active or user.phone_encrypted is None:
            log.warning(
                "referral %s: user %s cannot be told (deactivated or no phone)",
                referral.id,
                user.id,
            )
            continue
        text = texts.render(
            message,
            staff_language(user, profile.languages),
            profile,
            provider=referral.service_provider.name,
            code=referral.code,
            reference=format_reference(case.reference),
            ack=case.reference,
            service=referral.service.value,
        )
        phone = vault.decrypt(user.phone_encrypted)
        rows += _queue(db, vault, referral, phone, text, max_segments, now)
    return rows


def _provider_text(
    message: str,
    language: str,
    case: Case,
    service: Service,
    code: str,
    phone: str,
    profile: Deployment,
) -> str:
    location = profile.location(case.location_code)
    return texts.render(
        message,
        language,
        profile,
        code=code,
        service=service.value,
        area=location.name if location is not None else case.location_code,
        phone=phone,
    )


def _queue(
    db: Session,
    vault: Vault,
    referral: Referral,
    phone: str,
    text: str,
    max_segments: int,
    now: datetime,
) -> list[OutboxRow]:
    try:
        _message, row = queue_sms(
            db,
            vault,
            phone=phone,
            text=text,
            purpose=MessagePurpose.REFERRAL,
            max_segments=max_segments,
            now=now,
            case=referral.case,
        )
    except TooLong as exc:
        log.error("referral %s: message not queued: %s", referral.id, exc)
        return []
    return [row]
