"""Outbound SMS as an RQ job: send one message of the message log through the providers.

``send_message(public_id)`` is idempotent, and the message log decides, not Redis: a message a
provider accepted, one that reached a final state, or one whose send may already have happened
is never sent again, however many times the job runs. Just before each provider call the job
takes the message's send claim in the database (``claim_send``: a conditional update,
committed before the call) and the transaction that records the call's outcome releases it.
So two runs never call a provider for one message, and a job killed at any step loses nothing:
- killed before the claim (loading, or waiting for a rate-limit slot): nothing is held, the
  message is still ``queued``, and RQ's retry or the unsent-message sweep (``workers.unsent``)
  sends it;
- killed holding the claim (during the call, or after the provider accepted but before the
  outcome was recorded): the provider may have it. A later run sees the claim and sends
  nothing; once the claim's job is gone the sweep marks the message "maybe sent" for review.

Providers are tried in ``KINGA_SMS_PROVIDERS`` order (the job context's senders' order):
- accepted → the attempt and the provider's id are recorded; receipts take it from there;
- ``PermanentFailure`` → the attempt is recorded and the next provider is tried (failover), so
  the message log shows both attempts; when every provider refused, the message failed;
- ``PermanentFailure`` with ``opted_out`` (Twilio 21610, Africa's Talking UserInBlacklist) →
  the number is marked opted out and nothing more is tried;
- ``TemporaryFailure`` (a 5xx, a 429, a refused connection) → the attempt is recorded and the
  next provider is tried at once, so a provider down for minutes delays nothing while another
  works. A provider that said ``Retry-After`` is paused for that long for every worker
  (``SendRateLimiter.pause``): later jobs skip it without calling. When no provider took the
  message and some failed only for now, RQ runs the job again, from the first provider, after
  1, 5 and 15 minutes (or once the soonest pause ends, when that is later); after the last
  retry the message failed. When the request may have reached the provider (``maybe_sent``,
  a read timeout), it is not resent blindly, nor handed to the next provider: the message
  stays ``sending`` with a ``maybe sent`` error for an operator to review, and a late receipt
  (our id rides in Twilio's callback URL) settles it.

A number that opted out is sent nothing unasked (follow-ups, reminders, referrals, alerts).
It still gets the replies to what it sends (``MessagePurpose.REPLY``: HELP, a report, STATUS,
the next question) and the confirmation of its STOP (``opt_out_confirmation``): STOP is about
what we send, not about asking for help. Log lines carry our message id and provider codes,
never a phone number, a body or a credential.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rq import get_current_job
from rq.job import Job
from sqlalchemy.orm import Session

from case_store.enums import Direction, MessageEventKind, MessagePurpose
from case_store.enums import MessageStatus as LoggedStatus
from case_store.models import Message
from case_store.operations.messages import apply_status, claim_send, record_attempt, set_opt_out
from case_store.queries.messages import find_message, is_opted_out
from workers import metrics
from workers.context import JobContext, installed
from workers.sms.provider_api import (
    MessageStatus,
    OutboundSms,
    PermanentFailure,
    Sender,
    SendFailure,
    SendResult,
    TemporaryFailure,
)
from workers.sms.rate_limit import SendRateLimiter

log = logging.getLogger("kinga.outbound")

SEND_JOB = "workers.sms.send_job.send_message"
JOB_TIMEOUT = 180  # seconds: three providers at 10 s each, and a wait for a rate-limit slot
RETRY_INTERVALS = (60, 300, 900)  # seconds before the 1st, 2nd and 3rd retry
PERMANENT = "permanent"
TEMPORARY = "temporary"
MAYBE_SENT = "maybe sent, review before resending"
OPTED_OUT = "opted_out"
KINGA = "kinga"  # the "provider" of a status Kinga decided itself (opted out, purged, failed)
# Answers to what the number itself sent: sent even after STOP (see the module docstring).
ANSWERS = frozenset({MessagePurpose.REPLY})


class Outcome:
    """What ``send_message`` returns (the job's result), one word each."""

    SENT = "sent"
    FAILED = "failed"
    OPTED_OUT = "opted_out"
    REVIEW = "review"
    DUPLICATE = "duplicate"  # another run holds or took the claim, or a provider accepted it
    SKIPPED = "skipped"  # not an outbound message waiting to be sent
    MISSING = "missing"


class RetryLater(Exception):
    """Raised to RQ so that it schedules the job's next retry; carries no personal data."""


@dataclass(frozen=True)
class _Pending:
    phone: str
    body: str
    refused_by: frozenset[str]  # providers that already refused this message for good
    attempts: int  # as read: a claim is taken only if no other run attempted it since

    def __repr__(self) -> str:
        return f"_Pending(refused_by={sorted(self.refused_by)!r})"


def send_message(public_id: str, opt_out_confirmation: bool = False) -> str:
    """RQ job: send the outbound message ``public_id``; returns an ``Outcome`` word."""
    context = installed()
    job = get_current_job()
    return Send(context, context.connection(), job).run(public_id, opt_out_confirmation)


class Send:
    """One run of the send job. Separate from the job function so tests and the benchmark
    can drive it with their own clock, connection and job."""

    def __init__(
        self,
        context: JobContext,
        connection: redis.Redis[bytes],
        job: Job | None = None,
    ) -> None:
        self.context = context
        self.connection = connection
        self.job = job
        self.sessions = context.sessions
        self.vault = context.vault
        self.limiter = SendRateLimiter(connection, dict(context.sms_rates))

    def run(self, public_id: str, opt_out_confirmation: bool = False) -> str:
        pending_or_outcome = self._load(public_id, opt_out_confirmation)
        if isinstance(pending_or_outcome, str):
            return pending_or_outcome
        pending = pending_or_outcome
        senders = [s for s in self.context.senders if s.name not in pending.refused_by]
        sms = OutboundSms(message_id=public_id, to=pending.phone, body=pending.body)
        attempts = pending.attempts
        last: SendFailure | None = None
        later: list[TemporaryFailure] = []  # providers that failed for now: try them again
        for sender in senders:
            paused = self.limiter.paused_for(sender.name)
            if paused > 0:  # it asked every worker to wait (Retry-After): not called
                later.append(TemporaryFailure("asked to wait", provider=sender.name,
                                              retry_after=paused))  # fmt: skip
                continue
            # Wait for the slot before claiming: a run killed while it waits holds nothing.
            self.limiter.wait_for_slot(sender.name)
            if not self._claim(public_id, sender.name, attempts):
                log.info("send %s: another run claimed or attempted it; not sending", public_id)
                return Outcome.DUPLICATE
            try:
                result = sender.send(sms)
            except PermanentFailure as failure:
                self._record_failure(public_id, failure, PERMANENT)
                attempts += 1
                if failure.opted_out:
                    return self._opted_out(public_id, pending.phone, failure)
                log.warning(
                    "send %s: %s refused it for good (%s); trying the next provider",
                    public_id,
                    sender.name,
                    failure.error_code,
                )
                last = failure
                continue
            except TemporaryFailure as failure:
                if failure.maybe_sent:
                    return self._maybe_sent(public_id, sender, failure)
                self._record_failure(public_id, failure, TEMPORARY)
                attempts += 1
                if failure.retry_after:
                    self.limiter.pause(sender.name, failure.retry_after)
                log.warning(
                    "send %s: %s failed for now (%s); trying the next provider",
                    public_id,
                    sender.name,
                    failure.reason,
                )
                later.append(failure)
                continue
            except Exception:
                self._crashed_in_call(public_id, sender.name)
                raise
            self._accepted(public_id, sender.name, result)
            return Outcome.SENT
        if later:
            return self._later(public_id, later, last)
        return self._failed(public_id, last)

    def _claim(self, public_id: str, provider: str, attempts: int) -> bool:
        with self.sessions.begin() as db:
            return claim_send(db, public_id, provider=provider, attempts=attempts, now=_now())

    def _accepted(self, public_id: str, provider: str, result: SendResult) -> None:
        try:
            with self.sessions.begin() as db:
                message = self._message(db, public_id)
                now = _now()
                record_attempt(
                    db, message, provider=provider, provider_id=result.provider_id, now=now
                )
                apply_status(
                    db,
                    provider=provider,
                    public_id=public_id,
                    status=result.status.value,
                    cost=result.cost,
                    at=now,
                )
        except Exception:
            # The claim stays: no run sends it again, and the sweep marks it for review.
            log.error(
                "send %s: %s accepted it as %s but that was not recorded; left for review",
                public_id,
                provider,
                result.provider_id,
            )
            raise
        metrics.MESSAGES.labels(provider=provider, status=result.status.value).inc()
        log.info("send %s: accepted by %s", public_id, provider)

    def _crashed_in_call(self, public_id: str, provider: str) -> None:
        """A sender raised something it should not: the provider may have the message."""
        log.error("send %s: %s call failed unexpectedly; may be sent, review", public_id, provider)
        try:
            with self.sessions.begin() as db:
                mark_for_review(
                    db,
                    self._message(db, public_id),
                    provider=provider,
                    reason="unexpected error during the provider call",
                    now=_now(),
                )
        except Exception:
            log.exception("send %s: not marked for review; the sweep will", public_id)

    def _load(self, public_id: str, opt_out_confirmation: bool) -> _Pending | str:
        with self.sessions.begin() as db:
            message = find_message(db, public_id=public_id)
            if message is None:
                log.warning("send %s: no such message", public_id)
                return Outcome.MISSING
            if message.direction is not Direction.OUTBOUND:
                log.warning("send %s: not an outbound message", public_id)
                return Outcome.SKIPPED
            if message.provider_id is not None:
                log.info("send %s: %s already accepted it", public_id, message.provider)
                return Outcome.DUPLICATE
            if message.status is not LoggedStatus.QUEUED:
                log.info("send %s: already %s; not sending", public_id, message.status.value)
                return Outcome.DUPLICATE
            if message.claimed_at is not None:
                log.warning(
                    "send %s: a call to %s was claimed and never recorded; not sending",
                    public_id,
                    message.claimed_provider,
                )
                return Outcome.DUPLICATE
            if message.phone_encrypted is None or message.body_encrypted is None:
                self._fail(db, message, "purged before sending")
                return Outcome.FAILED
            phone = self.vault.decrypt(message.phone_encrypted)
            asked = opt_out_confirmation or message.purpose in ANSWERS
            if not asked and is_opted_out(db, self.vault, phone):
                self._fail(db, message, OPTED_OUT)
                log.info("send %s: the number opted out; not sending", public_id)
                return Outcome.OPTED_OUT
            refused_by = frozenset(
                event.provider
                for event in message.timeline
                if event.kind is MessageEventKind.ATTEMPT
                and event.provider is not None
                and (event.error or "").startswith(PERMANENT)
            )
            body = self.vault.decrypt(message.body_encrypted)
            return _Pending(phone, body, refused_by, message.attempts)

    def _record_failure(self, public_id: str, failure: SendFailure, kind: str) -> None:
        error = f"{kind}: {failure.reason}"
        with self.sessions.begin() as db:
            message = self._message(db, public_id)
            record_attempt(db, message, provider=failure.provider, error=error, now=_now())

    def _maybe_sent(self, public_id: str, sender: Sender, failure: TemporaryFailure) -> str:
        with self.sessions.begin() as db:
            mark_for_review(
                db,
                self._message(db, public_id),
                provider=sender.name,
                reason=failure.reason,
                now=_now(),
            )
        log.warning(
            "send %s: %s may have it (%s); not resending, marked for review",
            public_id,
            sender.name,
            failure.reason,
        )
        return Outcome.REVIEW

    def _later(
        self, public_id: str, later: list[TemporaryFailure], refused: SendFailure | None
    ) -> str:
        """No provider took it, some only for now: RQ runs the job again (from the first
        provider) once the soonest of them may answer, or the message failed."""
        retries_left = self.job.retries_left if self.job is not None else None
        if retries_left:
            delay = self._schedule_retry(min(f.retry_after or 0.0 for f in later))
            log.warning(
                "send %s: no provider took it for now; retry in %s s, %s retries left",
                public_id,
                delay,
                retries_left,
            )
            raise RetryLater("; ".join(f"{f.provider}: {f.reason}" for f in later))
        return self._failed(public_id, later[-1] if refused is None else refused)

    def _schedule_retry(self, retry_after: float | None) -> int:
        """The wait before RQ's next retry: the policy's, or longer if the provider asked."""
        assert self.job is not None and self.job.retries_left
        intervals = list(self.job.retry_intervals or RETRY_INTERVALS)
        index = max(len(intervals) - self.job.retries_left, 0)
        index = min(index, len(intervals) - 1)
        delay = max(intervals[index], int(retry_after or 0))
        # RQ reads the interval from this job object when it handles the failure.
        intervals[index] = delay
        self.job.retry_intervals = intervals
        return delay

    def _opted_out(self, public_id: str, phone: str, failure: PermanentFailure) -> str:
        with self.sessions.begin() as db:
            message = self._message(db, public_id)
            now = _now()
            set_opt_out(db, self.vault, phone, True, now=now)
            self._fail(db, message, OPTED_OUT, provider=failure.provider)
        log.warning("send %s: %s says the number opted out; marked", public_id, failure.provider)
        return Outcome.OPTED_OUT

    def _failed(self, public_id: str, last: SendFailure | None) -> str:
        reason = "no provider accepted it" if last is None else last.error_code or last.reason
        with self.sessions.begin() as db:
            message = self._message(db, public_id)
            provider = last.provider if last is not None else KINGA
            self._fail(db, message, reason, provider=provider)
        log.error("send %s: failed (%s)", public_id, reason)
        return Outcome.FAILED

    def _fail(self, db: Session, message: Message, reason: str, provider: str = KINGA) -> None:
        apply_status(
            db,
            provider=provider,
            public_id=message.public_id,
            status=MessageStatus.FAILED.value,
            error_code=reason,
            at=_now(),
        )
        metrics.MESSAGES.labels(provider=provider, status=MessageStatus.FAILED.value).inc()

    @staticmethod
    def _message(db: Session, public_id: str) -> Message:
        message = find_message(db, public_id=public_id)
        if message is None:
            raise LookupError(f"message {public_id} vanished while sending")
        return message


def mark_for_review(
    db: Session, message: Message, *, provider: str, reason: str, now: datetime
) -> None:
    """A call to ``provider`` whose outcome is unknown: recorded as an attempt, and the message
    left ``sending`` with a "maybe sent" error for an operator; never resent automatically."""
    record_attempt(db, message, provider=provider, error=f"{TEMPORARY}: {reason}", now=now)
    apply_status(
        db,
        provider=provider,
        public_id=message.public_id,
        status=MessageStatus.SENDING.value,
        at=now,
    )
    metrics.MESSAGES.labels(provider=provider, status=MessageStatus.SENDING.value).inc()
    message.last_error = f"{MAYBE_SENT}: {reason}"[:200]


def _now() -> datetime:
    return datetime.now(UTC)
