"""SMS intake: one inbound SMS, or one delivery receipt, → at most one database transaction.

Webhook views stay thin (verify → parse → intake → render); the orchestration lives here.

An inbound SMS is logged once per provider id (``record_inbound``): a replayed webhook finds
its receipt, does nothing and gets the same answer. A new one is a staff command from a staff
phone (``channels.sms.staff``), a service provider's answer to a referral
(``channels.sms.referrals``), or else runs the SMS conversation
(``dialogs.sms``), applies its effects, and queues the replies in the message log with an
outbox row each, all in one transaction. After the commit the conversation is saved in Redis
and the send jobs are enqueued (``workers.dispatch``); a crash in between leaves outbox rows
for the sweeper, never a lost reply. Replies are never given in the webhook answer itself:
they go through the send job, so they get retries, failover, opt-out checks and a log line.

A number that opted out still gets the replies to what it sends (HELP, REPORT, a report, STATUS
and the answers of a conversation are requests); what it is no longer sent is anything
unasked (``workers.sms.send_job`` refuses those at send time).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from redis.exceptions import LockError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from case_store.enums import Disposition, MessageEventKind, MessagePurpose
from case_store.models import Case, Message, OutboxRow, User
from case_store.operations import record_contact
from case_store.operations.messages import (
    apply_status,
    file_under,
    record_inbound,
    set_opt_out,
)
from case_store.queries.messages import find_message, is_opted_out
from case_store.queries.users import find_staff_by_phone
from dialogs.engine import fill
from dialogs.render import render
from dialogs.screen import Screen
from dialogs.sms import SmsStep, sms_context, sms_step
from gateway.channels.callers import caller_language
from gateway.channels.effects import Applied, Caller, apply_effects
from gateway.channels.sms.referrals import answer_by_sms
from gateway.channels.sms.sessions import SmsSession
from gateway.channels.sms.staff import StaffCommand, read_staff_command, run_staff_command
from gateway.providers.events import InboundSms, StatusUpdate
from gateway.runtime import Runtime
from workers import metrics
from workers.dispatch import dispatch
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.sms")

CHANNEL = "sms"
LOCK_TTL = 30  # seconds: longer than any one step, short enough to recover from a crash
LOCK_WAIT = 5  # seconds a second message from the same phone waits its turn
STOP_COMMAND = "stop"
CONFIRMATIONS = frozenset({"stop", "start"})


@dataclass(frozen=True)
class InboundResult:
    message_id: str  # our id of the inbound message
    created: bool  # False: a replayed webhook, nothing done
    replies: tuple[str, ...] = ()  # our ids of the replies queued


@dataclass(frozen=True)
class ReceiptResult:
    message_id: str | None  # None: no message of ours matches (logged, answered 200)
    applied: bool  # False: unknown message, or the same receipt seen before


def receive(rt: Runtime, sms: InboundSms, now: datetime | None = None) -> InboundResult:
    """Handle one inbound SMS; see the module docstring."""
    now = now or datetime.now(UTC)
    phone_hash = rt.vault.phone_hash(sms.sender)
    # One conversation step at a time per phone: two messages sent together must not both
    # start from the same saved session. A sender still waiting after LOCK_WAIT gets a 503
    # (RedisError) and the provider delivers the message again later.
    lock = rt.redis.lock(
        f"kinga:sms:lock:{phone_hash}", timeout=LOCK_TTL, blocking_timeout=LOCK_WAIT
    )
    if not lock.acquire():
        raise LockError("another message from this phone is being handled")
    try:
        return _receive_locked(rt, sms, phone_hash, now)
    finally:
        with suppress(LockError):
            lock.release()


def _receive_locked(rt: Runtime, sms: InboundSms, phone_hash: str, now: datetime) -> InboundResult:
    store = rt.sms_sessions
    saved = store.load(phone_hash)
    try:
        result, step, rows = _receive(rt, sms, saved, now)
    except IntegrityError:
        # A concurrent delivery of the same webhook committed first: this one is a replay.
        result, step, rows = _receive(rt, sms, saved, now)
    if step is not None:
        if step.state is None:
            store.delete(phone_hash)
        else:
            started = saved.started if saved is not None else now.timestamp()
            store.save(phone_hash, SmsSession(step.state, step.language, started))
        log.info(
            "sms %s from %s: %s, %s replies",
            result.message_id,
            sms.provider,
            step.command or "answer",
            len(result.replies),
        )
    dispatch(rt.redis, rows)
    return result


def _receive(
    rt: Runtime, sms: InboundSms, saved: SmsSession | None, now: datetime
) -> tuple[InboundResult, SmsStep | None, list[OutboxRow]]:
    with rt.sessions() as db, db.begin():
        staff = _staff_command(rt, db, sms)
        message, created = record_inbound(
            db,
            rt.vault,
            provider=sms.provider,
            provider_id=sms.provider_id,
            phone=sms.sender,
            # A staff command is logged without the PIN typed in it.
            body=staff[1].masked(sms.text) if staff is not None else sms.text,
            received_at=sms.received_at,
        )
        if not created:
            log.info("sms %s from %s replayed; nothing done", message.public_id, sms.provider)
            return InboundResult(message.public_id, False), None, []
        if staff is not None:
            handled = _run_staff_command(rt, db, sms, message, *staff, now=now)
        else:
            handled = answer_by_sms(
                rt, db, sms.sender, sms.text, now=now, in_conversation=saved is not None
            )
        if handled is not None:
            reply, sent = handled
            return InboundResult(message.public_id, True, (reply.public_id,)), None, sent
        if staff is not None:  # the reply was too long to queue; the command ran all the same
            return InboundResult(message.public_id, True), None, []
        opted_out = is_opted_out(db, rt.vault, sms.sender)
        language = (
            rt.remembered_language(saved.language, saved.started)
            if saved is not None
            else caller_language(rt, db, sms.sender)
        )
        state = saved.state if saved is not None else None
        step = sms_step(
            rt.tree, state, sms.text, rt.context(language, sms.sender), opted_out=opted_out
        )
        started = datetime.fromtimestamp(saved.started, UTC) if saved is not None else now
        caller = Caller(CHANNEL, sms.provider, sms.provider_id, sms.sender, step.language, started)
        applied = apply_effects(rt, db, caller, step.effects, now=now)
        step = _filled(rt, step, sms.sender, applied.params)
        if _closes(rt, step) and applied.opened is None:
            _record_contact(rt, db, sms, step, applied, started, now)
        replies: list[str] = []
        rows: list[OutboxRow] = list(applied.rows)
        purpose = (
            MessagePurpose.CONFIRMATION if step.command in CONFIRMATIONS else MessagePurpose.REPLY
        )
        fold = step.language in rt.profile.fold_accents
        for screen in step.replies:
            text = render(screen, rt.translations(step.language), applied.params, fold=fold)
            try:
                reply, row = queue_sms(
                    db,
                    rt.vault,
                    phone=sms.sender,
                    text=text,
                    purpose=purpose,
                    max_segments=rt.settings.sms_max_segments,
                    case=_filed_under(applied.opened or applied.updated),
                    now=now,
                    opt_out_confirmation=step.command == STOP_COMMAND,
                )
            except TooLong as exc:
                # The dialog keeps replies within two segments; only a lower
                # KINGA_SMS_MAX_SEGMENTS gets here. The report itself is kept.
                log.error(
                    "reply to %s (screen %s) not queued: %s", message.public_id, screen.node, exc
                )
                continue
            replies.append(reply.public_id)
            rows.append(row)
        return InboundResult(message.public_id, True, tuple(replies)), step, rows


def _filed_under(case: Case | None) -> Case | None:
    """The case a reply to a reporter is filed under in the message log: none unless the
    reporter agreed to be called back or sent SMS updates (their number is kept then), so
    that the log never ties an anonymous reporter's number to the case."""
    return case if case is not None and (case.callback_consent or case.sms_consent) else None


def _filled(rt: Runtime, step: SmsStep, phone: str, params: dict[str, str]) -> SmsStep:
    """A status found is kept as an answer, and the question about it shows the options that
    depend on it (``dialogs.engine.fill``)."""
    if step.state is None:
        return step
    context = sms_context(rt.context(step.language, phone))
    state, replies = step.state, list[Screen]()
    for reply in step.replies:
        if reply.node == state.get("node"):
            state, reply = fill(rt.tree, state, reply, params, context)
        replies.append(reply)
    return replace(step, state=state, replies=tuple(replies))


def _staff_command(rt: Runtime, db: Session, sms: InboundSms) -> tuple[User, StaffCommand] | None:
    """The staff command ``sms`` is and the user who sent it; None for anything else, which goes
    on as a provider's answer to a referral or an ordinary conversation (see
    ``gateway.channels.sms.staff``)."""
    command = read_staff_command(rt, sms.text)
    if command is None:
        return None
    user = find_staff_by_phone(db, rt.vault, sms.sender)
    return (user, command) if user is not None else None


def _run_staff_command(
    rt: Runtime,
    db: Session,
    sms: InboundSms,
    inbound: Message,
    user: User,
    command: StaffCommand,
    *,
    now: datetime,
) -> tuple[Message, list[OutboxRow]] | None:
    """Run the command, file it under its case, and queue its reply: the reply and every
    outbox row to dispatch (what the command sent too, e.g. a referral). None: the reply is
    longer than ``KINGA_SMS_MAX_SEGMENTS`` allows; the command ran all the same."""
    outbox: list[OutboxRow] = []
    reply = run_staff_command(rt, db, user, command, phone=sms.sender, now=now, outbox=outbox)
    if reply.case is not None:
        file_under(inbound, reply.case)
    try:
        message, row = queue_sms(
            db,
            rt.vault,
            phone=sms.sender,
            text=reply.text,
            purpose=MessagePurpose.REPLY,
            max_segments=rt.settings.sms_max_segments,
            case=reply.case,
            now=now,
        )
    except TooLong as exc:
        log.error("reply to staff command %s not queued: %s", command.verb, exc)
        return None
    return message, [row, *outbox]


def _closes(rt: Runtime, step: SmsStep) -> bool:
    """Whether this step ends the conversation: its session is gone, or 0 on the summary left
    the report for later (the session keeps it, but this contact is over, as a drop is)."""
    return step.state is None or any(screen.node == rt.tree.unsent for screen in step.replies)


def _record_contact(
    rt: Runtime,
    db: Session,
    sms: InboundSms,
    step: SmsStep,
    applied: Applied,
    started: datetime,
    now: datetime,
) -> None:
    """A conversation that ends here without a new case is a contact too, as a USSD session is."""
    nodes = {screen.node for screen in step.replies}
    if applied.updated is not None:
        disposition = Disposition.CASE_UPDATED
    elif {rt.tree.exit, rt.tree.unsent, rt.tree.give_up} & nodes:
        disposition = Disposition.DROPPED
    else:
        disposition = Disposition.INFORMATION
    record_contact(
        db,
        rt.vault,
        channel=CHANNEL,
        provider=sms.provider,
        external_id=sms.provider_id,
        disposition=disposition,
        started_at=started,
        now=now,
        phone=sms.sender,
        language=step.language,
        case=applied.updated,
    )


def apply_receipt(rt: Runtime, update: StatusUpdate, now: datetime | None = None) -> ReceiptResult:
    """Apply a delivery receipt to the message it is for, in one transaction.

    Statuses only move forward (``apply_status``); the same receipt twice is recorded once; a
    carrier opt-out marks the number. A receipt for no message of ours is logged and dropped.
    """
    now = now or datetime.now(UTC)
    # Copies of one receipt sent together (a provider's retry racing the first, maybe to
    # another process) must not all find it unseen: one at a time per message.
    lock = rt.redis.lock(
        f"kinga:sms:receipt-lock:{update.provider}:{update.provider_id}",
        timeout=LOCK_TTL,
        blocking_timeout=LOCK_WAIT,
    )
    if not lock.acquire():
        raise LockError("another copy of this receipt is being handled")
    try:
        return _apply_receipt_locked(rt, update, now)
    finally:
        with suppress(LockError):
            lock.release()


def _apply_receipt_locked(rt: Runtime, update: StatusUpdate, now: datetime) -> ReceiptResult:
    with rt.sessions() as db, db.begin():
        message = find_message(
            db, provider=update.provider, provider_id=update.provider_id, public_id=update.our_id
        )
        if message is None:
            log.warning(
                "%s receipt %s for no message of ours (id %s)",
                update.provider,
                update.provider_id,
                update.our_id,
            )
            return ReceiptResult(None, False)
        if _seen(message, update):
            log.info("%s receipt for %s replayed; nothing done", update.provider, message.public_id)
            return ReceiptResult(message.public_id, False)
        error = update.error_code or update.failure_reason
        apply_status(
            db,
            provider=update.provider,
            provider_id=update.provider_id,
            public_id=message.public_id,
            status=update.status.value,
            error_code=error,
            cost=update.cost,
            at=now,
        )
        metrics.MESSAGES.labels(provider=update.provider, status=update.status.value).inc()
        if update.opted_out:
            _carrier_opt_out(rt, db, message, now)
        log.info(
            "%s receipt for %s: %s (%s)",
            update.provider,
            message.public_id,
            update.status.value,
            update.provider_status or "-",
        )
        return ReceiptResult(message.public_id, True)


def _seen(message: Message, update: StatusUpdate) -> bool:
    error = update.error_code or update.failure_reason
    return any(
        event.kind is MessageEventKind.STATUS
        and event.provider == update.provider
        and event.provider_id == update.provider_id
        and event.status == update.status.value
        and (event.error or None) == (error or None)
        for event in message.timeline
    )


def _carrier_opt_out(rt: Runtime, db: Session, message: Message, now: datetime) -> None:
    if message.phone_encrypted is None:
        log.warning("opt-out for %s not applied: its number was purged", message.public_id)
        return
    phone = rt.vault.decrypt(message.phone_encrypted)
    set_opt_out(db, rt.vault, phone, True, now=now)
    log.warning("the carrier says the recipient of %s opted out; marked", message.public_id)
