"""Follow-ups to reporters: one neutral SMS when their case is acknowledged, referred or closed.

Acknowledging, referring and closing mark the case's reporter owed a follow-up when they agreed
to SMS updates (``case_store.operations.follow_ups``). Every minute ``send_follow_ups`` (on the
cron schedule) takes each follow-up due and decides, at send time:

- dropped, for good: the reporter sent STOP (or their carrier said they opted out), no number is
  kept for them any more (retention), or they never agreed;
- held: in the profile's quiet hours it waits until they end, and on a day (in the deployment's
  time zone) that already had one for the case it waits for the next day;
- otherwise sent: "Your reference 482-177-302 was updated. Dial *384*116# for details.", in the
  reporter's language, filed under the case, queued in the transaction that takes the
  follow-up and dispatched after its commit.

The text says nothing about what was reported: a phone is shared, or read by others. Taking a
follow-up is a conditional UPDATE, so a retried or concurrent run sends nothing twice; a send
job that dies is the outbox's and the unsent-message sweep's to finish, as for every SMS.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.enums import MessagePurpose
from case_store.follow_ups import follow_up_hold
from case_store.models import Case, OutboxRow
from case_store.operations.follow_ups import (
    NO_CONSENT,
    NO_PHONE,
    OPTED_OUT,
    TOO_LONG,
    claim_follow_up,
    drop_follow_up,
    follow_up_sent,
    hold_follow_up,
)
from case_store.queries.follow_ups import follow_ups_due
from case_store.references import format_reference
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers.context import Deployment, installed
from workers.dispatch import dispatch
from workers.queues import DEFAULT
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.follow_ups")

FOLLOW_UP = N_("Your reference {reference} was updated. Dial {service_code} for details.")
JOB_QUEUE = DEFAULT
JOB_TIMEOUT = 300
BATCH = 500  # follow-ups taken per run; the rest are the next minute's


class Outcome:
    """What became of one follow-up due (the job's result counts them)."""

    SENT = "sent"
    HELD = "held"
    DROPPED = "dropped"
    TAKEN = "taken"  # another run took it first


def send_follow_ups() -> dict[str, int]:
    """RQ job (every minute on the cron schedule): ``run_follow_ups`` now."""
    context = installed()
    return run_follow_ups(
        context.sessions,
        context.connection(),
        context.vault,
        profile=context.profile,
        max_segments=context.max_segments,
        now=datetime.now(UTC),
    )


def run_follow_ups(
    sessions: sessionmaker[Session],
    connection: redis.Redis[bytes],
    vault: Vault,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> dict[str, int]:
    """Send, hold or drop every follow-up due at ``now``; how many of each."""
    with sessions() as db:
        due = follow_ups_due(db, now=now, limit=BATCH)
    outcomes: Counter[str] = Counter()
    for case_id in due:
        outcome, row = Outcome.TAKEN, None
        with sessions.begin() as db:
            case = claim_follow_up(db, case_id, now=now)
            if case is not None:
                outcome, row = _settle(
                    db, vault, case, profile=profile, max_segments=max_segments, now=now
                )
        if row is not None:
            dispatch(connection, [row])
        outcomes[outcome] += 1
    if due:
        log.info("follow-ups: %s", ", ".join(f"{n} {word}" for word, n in sorted(outcomes.items())))
    return dict(outcomes)


def _settle(
    db: Session,
    vault: Vault,
    case: Case,
    *,
    profile: Deployment,
    max_segments: int,
    now: datetime,
) -> tuple[str, OutboxRow | None]:
    """Send, hold or drop the follow-up just claimed on ``case``, in the claim's transaction;
    the outcome, and the outbox row of the SMS to dispatch after the commit."""
    reporter = case.reporter
    if not case.sms_consent:
        reason = NO_CONSENT
    elif reporter is None or reporter.phone_encrypted is None:
        reason = NO_PHONE
    elif reporter.opted_out:
        reason = OPTED_OUT
    else:
        hold = follow_up_hold(
            now,
            last_sent=case.follow_up_sent_at,
            quiet_hours=profile.follow_up_quiet_hours,
            time_zone=profile.time_zone,
        )
        if hold is not None:
            hold_follow_up(db, case, until=hold.until, reason=hold.reason, now=now)
            log.info("follow-up for case %s held (%s)", case.id, hold.reason)
            return Outcome.HELD, None
        try:
            message, row = queue_sms(
                db,
                vault,
                phone=vault.decrypt(reporter.phone_encrypted),
                text=follow_up_text(case, reporter.language, profile),
                purpose=MessagePurpose.FOLLOW_UP,
                max_segments=max_segments,
                now=now,
                case=case,
            )
        except TooLong as exc:
            log.error("follow-up for case %s not queued: %s", case.id, exc)
            reason = TOO_LONG
        else:
            follow_up_sent(db, case, message, now=now)
            log.info("follow-up for case %s queued as %s", case.id, message.public_id)
            return Outcome.SENT, row
    drop_follow_up(db, case, reason=reason, now=now)
    log.info("follow-up for case %s dropped (%s)", case.id, reason)
    return Outcome.DROPPED, None


def follow_up_text(case: Case, language: str, profile: Deployment) -> str:
    """The neutral follow-up in ``language`` (the default language when it is not enabled)."""
    if language not in profile.languages:
        language = profile.default_language
    text = (
        load_translations(language)
        .gettext(FOLLOW_UP)
        .format(reference=format_reference(case.reference), service_code=profile.service_code)
    )
    return fold_to_gsm7(text) if language in profile.fold_accents else text
