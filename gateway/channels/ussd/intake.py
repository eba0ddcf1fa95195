"""Intake: one inbound event → one dialog step → at most one database transaction.

Webhook views stay thin (verify → parse → intake → render); the orchestration lives here.
Order matters: the dialog effects are committed before the session record is saved, and a
retried request (same cumulative text) gets the saved answer back without running again, so
a provider retry never advances the dialog twice nor creates a second case.

A session belongs to the phone that opened it (its record's state carries ``OWNER``, a cut of
the phone's keyed hash) and ends with its first END. A request for a session of another phone,
or for one that has ended with other text than its last, changes nothing and gets the engine's
``ended`` screen: it can neither read another caller's screens nor send a report again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from case_store.enums import Disposition
from case_store.models import OutboxRow
from case_store.operations import record_contact
from dialogs.effects import EffectKind
from dialogs.engine import Step, advance, can_resume, ended, fill, helpline, resume, start
from dialogs.render import N_, fold_to_gsm7, render
from gateway.channels.callers import caller_language, follow_up_case
from gateway.channels.effects import Caller, apply_effects
from gateway.channels.ussd.sessions import Lookup, UssdSession
from gateway.providers.events import UssdOutcome, UssdRequest, UssdSessionEnded
from gateway.runtime import Runtime
from workers import metrics
from workers.dispatch import dispatch

log = logging.getLogger("kinga.intake")


# Whoever dialled may have a child in danger: even when nothing works, they get the helpline.
UNAVAILABLE = N_(
    "Sorry, the service is not available right now. If there is danger now, call {helpline}. "
    "Please try again later."
)
# The session record's state key for its phone: 64 bits of the keyed hash tell two phones apart
# and keep the record small (the engine ignores keys it does not know).
OWNER = "owner"
OWNER_CHARS = 16
CHANNEL = "ussd"
# What a retried END works out again: only what its screen shows (nothing is written twice).
RERUN_ON_RETRY = frozenset({EffectKind.LOOKUP_CASE, EffectKind.SET_LANGUAGE})
FOLLOW_UPS = frozenset({EffectKind.ADD_NOTE, EffectKind.REQUEST_CALLBACK})


@dataclass(frozen=True)
class Reply:
    text: str
    end: bool


def ussd_hop(rt: Runtime, provider: str, req: UssdRequest, now: datetime | None = None) -> Reply:
    now = now or datetime.now(UTC)
    try:
        return _ussd_hop(rt, provider, req, now)
    except (RedisError, SQLAlchemyError):
        log.exception("ussd hop failed: session=%s", req.session_id)
        language = rt.profile.language_for(req.phone)
        return Reply(unavailable(rt, language), end=True)


def unavailable(rt: Runtime, language: str) -> str:
    """The closing screen when Redis or the database is down, with the child helpline."""
    number = helpline(rt.tree, rt.context(language))
    text = rt.translations(language).gettext(UNAVAILABLE).format(helpline=number)
    return fold_to_gsm7(text) if _folds(rt, language) else text


def _ussd_hop(rt: Runtime, provider: str, req: UssdRequest, now: datetime) -> Reply:
    phone_hash = rt.vault.phone_hash(req.phone)
    found = rt.ussd_sessions.lookup(provider, req.session_id, phone_hash)
    saved = found.session
    owner = phone_hash[:OWNER_CHARS]
    if saved is not None and saved.state.get(OWNER) != owner:
        log.warning("ussd session %s continued by another phone; refused", req.session_id)
        return _ended(rt, rt.profile.language_for(req.phone))
    if saved is not None and saved.is_retry(req.text):
        log.debug("ussd retry answered from the session: session=%s", req.session_id)
        return Reply(saved.reply, saved.end)
    if saved is not None and saved.end:
        log.info("ussd input after the session ended; nothing done: session=%s", req.session_id)
        return _ended(rt, saved.language)
    if saved is None:
        step, language, started = _first_screen(rt, found, req.phone, now)
    else:
        language, started = saved.language, saved.started
        step = advance(
            rt.tree, saved.state, req.answer_after(saved.seen), rt.context(language, req.phone)
        )
    caller = _caller(provider, req.session_id, req.phone, language, started)
    language, params, rows = _apply_effects(rt, caller, step, now)
    # Alerts about a new case leave only after its commit (the outbox keeps them meanwhile).
    dispatch(rt.redis, rows)
    # A status found is kept as an answer: the options shown depend on it.
    filled, screen = fill(rt.tree, step.state, step.screen, params, rt.context(language, req.phone))
    text = render(screen, rt.translations(language), params, fold=_folds(rt, language))
    end = screen.end
    if saved is not None and end and _left(rt, step):
        _count_dropoff(saved.state)
    state = {**filled, OWNER: owner}
    record = UssdSession.after(req.text, state, text, end, language, started)
    resumable = can_resume(rt.tree, state)
    rt.ussd_sessions.save(provider, req.session_id, phone_hash, record, resumable=resumable)
    return Reply(text, end)


def _ended(rt: Runtime, language: str) -> Reply:
    text = render(ended(rt.tree), rt.translations(language), {}, fold=_folds(rt, language))
    return Reply(text, end=True)


def ussd_session_ended(
    rt: Runtime, provider: str, event: UssdSessionEnded, now: datetime | None = None
) -> None:
    """A session the caller dropped (or that failed on our side) is a dropped contact.

    Sessions that ended on an END screen recorded their contact then; this records the rest,
    once (a repeated notification finds the contact and changes nothing). Offering the report
    back on redial needs nothing here: the session record and the phone's pointer to it are
    already in Redis.
    """
    now = now or datetime.now(UTC)
    if event.outcome is UssdOutcome.UNKNOWN:
        log.warning("unknown ussd session status %r: session=%s", event.status, event.session_id)
    if event.outcome is UssdOutcome.COMPLETED:
        return
    if event.outcome is UssdOutcome.FAILED:
        log.error("provider reports a failed ussd session: session=%s", event.session_id)
    saved = rt.ussd_sessions.load(provider, event.session_id)
    if saved is not None:
        started, language = saved.started, saved.language
    else:
        elapsed = (event.duration_ms or 0) / 1000
        started, language = now.timestamp() - elapsed, rt.profile.language_for(event.phone)
    started_at = datetime.fromtimestamp(started, UTC)
    try:
        created = _record_dropped(rt, provider, event, started_at, language, now)
    except IntegrityError:
        # A concurrent copy of this event (or the phone's first contact, racing) committed
        # first: the second run finds the contact, or the reporter, instead of writing it.
        created = _record_dropped(rt, provider, event, started_at, language, now)
    if created and (saved is None or not saved.end):
        _count_dropoff(saved.state if saved is not None else {})


def _record_dropped(
    rt: Runtime,
    provider: str,
    event: UssdSessionEnded,
    started_at: datetime,
    language: str,
    now: datetime,
) -> bool:
    """Record the dropped session's contact; whether this call wrote it (not a replay)."""
    with rt.sessions() as db, db.begin():
        _contact, created = record_contact(
            db,
            rt.vault,
            channel=CHANNEL,
            provider=provider,
            external_id=event.session_id,
            disposition=Disposition.DROPPED,
            started_at=started_at,
            now=now,
            phone=event.phone,
            language=language,
        )
    return created


def _left(rt: Runtime, step: Step) -> bool:
    """The caller chose to leave, or gave up, with a report begun."""
    left = step.screen.node in (rt.tree.exit, rt.tree.unsent, rt.tree.give_up)
    return left and bool(step.state.get("answers"))


def _count_dropoff(state: dict[str, Any]) -> None:
    """A session left on a question: the question's id (a node of the tree), or ``unknown``
    when the session's record had expired."""
    question = str(state.get("node") or "unknown")
    metrics.DIALOG_DROPOFFS.labels(channel=CHANNEL, question=question).inc()


def _first_screen(rt: Runtime, found: Lookup, phone: str, now: datetime) -> tuple[Step, str, float]:
    """A new session: offer back a report from this phone that was dropped or left with 0,
    or the main menu."""
    previous = rt.ussd_sessions.resumable(found)
    if previous is not None and can_resume(rt.tree, previous.state):
        language = rt.remembered_language(previous.language, previous.started)
        return (
            resume(rt.tree, previous.state, rt.context(language, phone)),
            language,
            previous.started,
        )
    with rt.sessions() as db:
        language = caller_language(rt, db, phone)
    return start(rt.tree, rt.context(language, phone)), language, now.timestamp()


def _folds(rt: Runtime, language: str) -> bool:
    return language in rt.profile.fold_accents


def _caller(provider: str, session_id: str, phone: str, language: str, started: float) -> Caller:
    """The caller of a USSD session: its contact is the session."""
    return Caller(
        channel=CHANNEL,
        provider=provider,
        external_id=session_id,
        phone=phone,
        language=language,
        started=datetime.fromtimestamp(started, UTC),
    )


def _apply_effects(
    rt: Runtime, caller: Caller, step: Step, now: datetime
) -> tuple[str, dict[str, str], list[OutboxRow]]:
    """Apply the step's effects in one transaction; returns the language to render in, the
    values the screen shows and the outbox rows to dispatch. A concurrent duplicate of this hop
    that committed first makes the second run find its records instead of writing them again."""
    if not step.effects and not step.screen.end:
        return caller.language, {}, []
    try:
        return _apply_in_transaction(rt, caller, step, now)
    except IntegrityError:
        return _apply_in_transaction(rt, caller, step, now)


def _apply_in_transaction(
    rt: Runtime, caller: Caller, step: Step, now: datetime
) -> tuple[str, dict[str, str], list[OutboxRow]]:
    effects = step.effects
    with rt.sessions() as db, db.begin():
        # Every session is a contact, even one that opened no case. Recorded first: when it
        # exists already, this END was applied before (a retry after a lost answer), and only
        # what the screen shows is worked out again.
        opens = any(effect.kind is EffectKind.OPEN_CASE for effect in effects)
        if step.screen.end and not opens and not _record_contact(rt, db, caller, step, now):
            effects = tuple(effect for effect in effects if effect.kind in RERUN_ON_RETRY)
        applied = apply_effects(rt, db, caller, effects, now=now)
    return applied.language, applied.params, applied.rows


def _record_contact(rt: Runtime, db: Session, caller: Caller, step: Step, now: datetime) -> bool:
    """The contact for a session that ends here without a new case; False if it exists."""
    case = None
    for effect in step.effects:
        if effect.kind in FOLLOW_UPS:
            case = follow_up_case(rt, db, caller.phone, str(effect.data["reference"]))
    if case is not None:
        disposition = Disposition.CASE_UPDATED
    elif step.screen.node in (rt.tree.exit, rt.tree.unsent, rt.tree.give_up):
        answered = bool(step.state.get("answers"))
        disposition = Disposition.DROPPED if answered else Disposition.SILENT
    else:
        disposition = Disposition.INFORMATION
    _contact, created = record_contact(
        db,
        rt.vault,
        channel=CHANNEL,
        provider=caller.provider,
        external_id=caller.external_id,
        disposition=disposition,
        started_at=caller.started,
        now=now,
        phone=caller.phone,
        language=caller.language,
        case=case,
    )
    return created
