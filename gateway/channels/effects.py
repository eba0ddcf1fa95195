"""Applies a dialog step's effects for any channel, in the caller's open session (never commits).

USSD and SMS intakes call ``apply_effects`` alike, so an effect means the same thing on every
channel: a report opened from a USSD session or an SMS is the same ``open_case``, and a status
lookup spends the same miss budget (``gateway.channels.callers``). Every kind is handled here,
and mypy checks that none is left out (``assert_never``).

A report whose contact already had a case (a retried webhook after a lost answer) is found by
``open_case`` instead of written again, and sends no second alert. A USSD reporter who agreed
to SMS updates is sent their reference by SMS when the case opens, so once too; a reporter
over SMS has it already, in the conversation's last reply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from case_store.enums import Channel, MessagePurpose
from case_store.models import Case, OutboxRow
from case_store.operations import Report, open_case
from case_store.operations.messages import set_opt_out
from case_store.operations.reporters import set_reporter_language
from case_store.queries.messages import is_opted_out
from case_store.references import format_reference
from dialogs.effects import Effect, EffectKind
from dialogs.render import render
from dialogs.sms import thank_you
from gateway.channels.callers import add_information, ask_callback, lookup_status
from gateway.runtime import Runtime
from workers import metrics
from workers.alerts import on_case_opened
from workers.sms.queueing import TooLong, queue_sms

log = logging.getLogger("kinga.effects")


@dataclass(frozen=True)
class Caller:
    """Who is on the line, and the contact their effects belong to: a USSD session or the SMS
    that carried the step (``external_id``)."""

    channel: str
    provider: str
    external_id: str
    phone: str
    language: str
    started: datetime


@dataclass
class Applied:
    """What the effects left for rendering, for the contact record and for dispatch."""

    language: str  # the language to render in: the caller's, or the one just chosen
    params: dict[str, str] = field(default_factory=dict)
    opened: Case | None = None
    updated: Case | None = None  # a case the caller added to or asked a call back about
    rows: list[OutboxRow] = field(default_factory=list)  # alerts to dispatch after the commit


def apply_effects(
    rt: Runtime, db: Session, caller: Caller, effects: Iterable[Effect], *, now: datetime
) -> Applied:
    applied = Applied(caller.language)
    for effect in effects:
        _apply(rt, db, caller, effect, applied, now)
    return applied


def _apply(
    rt: Runtime, db: Session, caller: Caller, effect: Effect, applied: Applied, now: datetime
) -> None:
    kind, data = effect.kind, effect.data
    if kind is EffectKind.OPEN_CASE:
        _open_case(rt, db, caller, dict(data["answers"]), applied, now)
    elif kind is EffectKind.LOOKUP_CASE:
        applied.params["status"] = lookup_status(rt, db, caller.phone, str(data["reference"]))
    elif kind is EffectKind.ADD_NOTE:
        reference, text = str(data["reference"]), str(data["text"])
        applied.updated = add_information(rt, db, caller.phone, reference, text, now=now)
    elif kind is EffectKind.REQUEST_CALLBACK:
        reference, when = str(data["reference"]), str(data["callback_time"])
        applied.updated = ask_callback(rt, db, caller.phone, reference, when, now=now)
    elif kind is EffectKind.SET_LANGUAGE:
        applied.language = str(data["language"])
        set_reporter_language(db, rt.vault, caller.phone, applied.language, now=now)
    elif kind is EffectKind.OPT_OUT or kind is EffectKind.OPT_IN:
        opted_out = kind is EffectKind.OPT_OUT
        set_opt_out(db, rt.vault, caller.phone, opted_out, now=now, language=caller.language)
    else:
        assert_never(kind)


def _open_case(
    rt: Runtime,
    db: Session,
    caller: Caller,
    answers: dict[str, str],
    applied: Applied,
    now: datetime,
) -> None:
    report = Report(
        channel=caller.channel,
        provider=caller.provider,
        external_id=caller.external_id,
        phone=caller.phone,
        language=caller.language,
        answers=answers,
        started_at=caller.started,
    )
    applied.opened = open_case(db, rt.vault, report, now=now, policy=rt.triage)
    applied.params["reference"] = format_reference(applied.opened.reference)
    if _inserted(applied.opened):
        applied.rows.extend(
            on_case_opened(
                db,
                rt.vault,
                applied.opened,
                profile=rt.profile,
                max_segments=rt.settings.sms_max_segments,
                now=now,
                primero=rt.primero_push,
            )
        )
        if caller.channel == Channel.USSD and applied.opened.sms_consent:
            applied.rows.extend(_reference_by_sms(rt, db, caller, applied.opened, now))
        metrics.DIALOG_COMPLETIONS.labels(channel=caller.channel).inc()
    # The case's row id only: a provider's id of a message or session is not ours to log.
    log.info("case opened from %s: case %s", caller.channel, applied.opened.id)


def _inserted(case: Case) -> bool:
    """Whether this session wrote ``case`` rather than found it. Asked of the case itself: a
    look-up before ``open_case`` can miss a concurrent copy of the same hop that commits
    between that look-up and ``open_case``'s own (PostgreSQL reads committed rows per
    statement), and that copy has alerted already."""
    return inspect(case).insert_order is not None


def _reference_by_sms(
    rt: Runtime, db: Session, caller: Caller, case: Case, now: datetime
) -> list[OutboxRow]:
    """The thank-you with the reference, by SMS, in the caller's language, filed under the
    case; nothing to a number that sent STOP (START lifts it). It goes at once: the reporter
    has the phone in hand, whatever the hour."""
    screen = thank_you(rt.tree, rt.context(caller.language, caller.phone))
    if screen is None:
        return []
    if is_opted_out(db, rt.vault, caller.phone):
        log.info("case %s: no reference by SMS, the number opted out", case.id)
        return []
    params = {"reference": format_reference(case.reference)}
    fold = caller.language in rt.profile.fold_accents
    text = render(screen, rt.translations(caller.language), params, fold=fold)
    try:
        _message, row = queue_sms(
            db,
            rt.vault,
            phone=caller.phone,
            text=text,
            purpose=MessagePurpose.CONFIRMATION,
            max_segments=rt.settings.sms_max_segments,
            now=now,
            case=case,
        )
    except TooLong as exc:
        log.error("case %s: reference by SMS not queued: %s", case.id, exc)
        return []
    return [row]
