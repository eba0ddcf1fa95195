"""Intake: one inbound event → one dialog step → at most one database transaction.

Webhook views stay thin (verify → parse → intake → render); the orchestration lives here.
Order matters: the dialog effects are committed before the session record is saved, and a
retried request (same cumulative text) gets the saved answer back without running again, so
a provider retry never advances the dialog twice nor creates a second case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from case_store.operations import Report, open_case
from case_store.references import format_reference
from dialogs.engine import Step, advance, start
from dialogs.render import render
from gateway.providers.africastalking_ussd import UssdRequest
from gateway.runtime import Runtime
from gateway.ussd_sessions import UssdSession, new_input

log = logging.getLogger("kinga.intake")


def N_(message: str) -> str:
    """Mark a message id for extraction; translated where it is shown."""
    return message


UNAVAILABLE = N_("Sorry, the service is not available right now. Please try again later.")


@dataclass(frozen=True)
class Reply:
    text: str
    end: bool


def ussd_hop(rt: Runtime, provider: str, req: UssdRequest, now: datetime | None = None) -> Reply:
    now = now or datetime.now(UTC)
    language = rt.profile.language_for(req.phone)
    try:
        return _ussd_hop(rt, provider, req, language, now)
    except (RedisError, SQLAlchemyError):
        log.exception("ussd hop failed: session=%s", req.session_id)
        return Reply(rt.translations(language).gettext(UNAVAILABLE), end=True)


def _ussd_hop(rt: Runtime, provider: str, req: UssdRequest, language: str, now: datetime) -> Reply:
    saved = rt.ussd_sessions.load(provider, req.session_id)
    context = rt.context(language)
    if saved is None:
        step = start(rt.tree, context)
        started = now.timestamp()
    elif req.text == saved.text:
        log.info("ussd retry answered from the session: session=%s", req.session_id)
        return Reply(saved.reply, saved.end)
    else:
        step = advance(rt.tree, saved.state, new_input(saved.text, req.text), context)
        started = float(saved.state.get("_started", now.timestamp()))
    state = {**step.state, "_started": started}
    params = _apply_effects(rt, provider, req, step, language, started, now)
    text = render(step.screen, rt.translations(language), params)
    rt.ussd_sessions.save(
        provider, req.session_id, UssdSession(req.text, state, text, step.screen.end)
    )
    return Reply(text, step.screen.end)


def _apply_effects(
    rt: Runtime,
    provider: str,
    req: UssdRequest,
    step: Step,
    language: str,
    started: float,
    now: datetime,
) -> dict[str, str]:
    params: dict[str, str] = {}
    for effect in step.effects:
        if effect.kind == "open_case":
            report = Report(
                channel="ussd",
                provider=provider,
                external_id=req.session_id,
                phone=req.phone,
                language=language,
                answers=dict(effect.data["answers"]),
                started_at=datetime.fromtimestamp(started, UTC),
            )
            params["reference"] = format_reference(_open_case(rt, report, now))
        else:
            raise ValueError(f"the dialog asked for an unknown effect {effect.kind!r}")
    return params


def _open_case(rt: Runtime, report: Report, now: datetime) -> str:
    """Commit the report; a concurrent duplicate loses the race and reads the winner's case."""
    try:
        return _commit_report(rt, report, now)
    except IntegrityError:
        return _commit_report(rt, report, now)


def _commit_report(rt: Runtime, report: Report, now: datetime) -> str:
    with rt.sessions() as db, db.begin():
        case = open_case(db, rt.vault, report, now=now, policy=rt.triage)
        reference: str = case.reference
    log.info("case committed from %s: session=%s", report.channel, report.external_id)
    return reference
