"""Call logging for the hotline: one page, one form, a routine call saved in a few keystrokes.

A call that raises a concern opens a case through the same report contract, triage and alerts
as a USSD or SMS report (``open_case`` then ``workers.alerts.on_case_opened``, dispatched after
the commit). A call about an existing case is a contact on it, with the agent's notes as a
note, and it closes the case's open call-back request. Any other call is a contact with its
disposition, so silent and prank calls are counted too. Missed ("flash") calls wait on the
page's side list; calling one back shows its number in the form (on a POST answer, on the
agent's trail), and a call logged with a number answers that number's missed calls.

The form carries a signed token made when it was shown: it says who opened it and when (the
call's start), and its random part is the contact's id with the ``console`` provider. Posting
the same form twice (a double click, a resent request) therefore finds the contact and the
case it opened instead of writing them again. Refusals write nothing; a case the agent may not
touch is refused on its field, and the refusal is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wtforms import SubmitField

from case_store.enums import Channel, Disposition
from case_store.masking import mask_phone
from case_store.models import Case, OutboxRow, User
from case_store.operations import (
    PermissionDenied,
    Report,
    add_note,
    close_callback_request,
    close_missed_calls,
    open_case,
    record_contact,
    record_missed_call_shown,
    record_refusal,
)
from case_store.operations.reports import find_contact
from case_store.permissions import Action, check
from case_store.queries.calls import recent_calls, waiting_callbacks
from case_store.queries.cases import find_case_by_reference
from case_store.queries.missed_calls import find_missed_call, waiting_missed_calls
from case_store.references import format_reference
from gateway.runtime import Runtime, runtime
from gateway.web.console import i18n
from gateway.web.console.accounts import requires, staff
from gateway.web.console.call_form import (
    CALLBACKS,
    OUTCOMES,
    CallForm,
    Outcome,
)
from gateway.web.console.i18n import gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import LEVELS
from gateway.web.db import db
from workers.alerts import on_case_opened
from workers.dispatch import dispatch

bp = Blueprint("calls", __name__, url_prefix="/calls")
PAGE = Page(
    bp, (MenuItem("console.calls.new", lambda: gettext("Log a call"), Action.RECORD_CONTACT),)
)

PROVIDER: Final = "console"
TOKEN_SALT: Final = "kinga-call-form"  # noqa: S105 (a namespace, not a secret)
# A form older than this is refused (its start time would mean nothing).
TOKEN_MAX_AGE: Final = timedelta(hours=12)
RECENT: Final = timedelta(hours=24)


class CallBackForm(FlaskForm):  # type: ignore[misc]
    """Call a missed call back: its token only."""

    submit = SubmitField(_("Call back"))


class StaleForm(ValueError):
    """The form's token is missing, forged, for another account, or too old."""


@dataclass(frozen=True)
class CallToken:
    nonce: str
    started_at: datetime

    def external_id(self, user: User) -> str:
        return f"{user.id}-{self.nonce}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime().settings.secret_key, salt=TOKEN_SALT)


def new_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "nonce": secrets.token_urlsafe(12)})


def read_token(token: str | None, user: User) -> CallToken:
    try:
        data, signed_at = _serializer().loads(
            token or "", max_age=int(TOKEN_MAX_AGE.total_seconds()), return_timestamp=True
        )
    except (BadSignature, SignatureExpired) as exc:
        raise StaleForm("call form token refused") from exc
    if not isinstance(data, dict) or data.get("user") != user.id:
        raise StaleForm("call form token of another account")
    return CallToken(str(data["nonce"]), signed_at.astimezone(UTC))


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.RECORD_CONTACT)
def new() -> Any:
    rt = runtime()
    user = staff()
    form = CallForm()
    form.language.choices = i18n.language_choices()
    if request.method == "GET":
        form.token.data = new_token(user)
        form.language.data = i18n.console_language()
        reference = request.args.get("case")
        if reference:
            form.outcome.data = Outcome.EXISTING_CASE.value
            form.reference.data = reference
        return _page(form)
    valid = form.validate_on_submit()
    valid = form.check_call(rt.profile) and valid
    try:
        token = read_token(form.token.data, user)
    except StaleForm:
        form.token.data = new_token(user)
        return _page(form, stale=True), 400
    if not valid:
        return _page(form), 422
    try:
        message = _save_retrying(rt, user, form, token)
    except _CaseRefused as refusal:
        form.reference.errors = [*form.reference.errors, refusal.message]
        return _page(form), refusal.status
    flash(message, "saved")
    return redirect(url_for(".new"))


@bp.post("/missed/<int:missed_id>")
@requires(Action.RECORD_CONTACT)
def call_back(missed_id: int) -> Any:
    """The call form for calling a missed call back, its number filled in: shown on this POST
    answer only (never on a GET), and on the agent's trail."""
    user = staff()
    session = db()
    missed = find_missed_call(session, missed_id)
    if missed is None or missed.reporter.phone_encrypted is None:
        abort(404)
    record_missed_call_shown(session, user, missed, now=datetime.now(UTC))
    session.commit()
    form = CallForm(formdata=None)
    form.language.choices = i18n.language_choices()
    form.token.data = new_token(user)
    form.language.data = missed.reporter.language
    form.phone.data = runtime().vault.decrypt(missed.reporter.phone_encrypted)
    return _page(form)


class _CaseRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        self.message, self.status = message, status


def _save_retrying(rt: Runtime, user: User, form: CallForm, token: CallToken) -> str:
    """``_save``, once more when a concurrent delivery of the same form committed its contact
    first (its unique key): the second attempt finds that call and writes nothing."""
    try:
        return _save(rt, user, form, token)
    except IntegrityError:
        db().rollback()
        return _save(rt, user, form, token)


def _save(rt: Runtime, user: User, form: CallForm, token: CallToken) -> str:
    """Write the call in one transaction, commit, dispatch its alerts; the flash message."""
    session = db()
    now = datetime.now(UTC)
    external_id = token.external_id(user)
    outcome = form.outcome.data
    caller = ""
    if form.e164 is not None:
        caller = " " + gettext("Caller: %(phone)s.", phone=mask_phone(form.e164))
    if outcome == Outcome.NEW_CASE:
        report = Report(
            channel=Channel.VOICE.value,
            provider=PROVIDER,
            external_id=external_id,
            phone=form.e164,
            language=form.language.data,
            answers=form.answers(),
            started_at=token.started_at,
        )
        known = find_contact(session, PROVIDER, external_id)
        case = open_case(
            session,
            rt.vault,
            report,
            now=now,
            policy=rt.triage,
            agent=user,
            direction=form.direction.data,
        )
        rows: list[OutboxRow] = []
        if known is None or known.case is None:
            rows = on_case_opened(
                session,
                rt.vault,
                case,
                profile=rt.profile,
                max_segments=rt.settings.sms_max_segments,
                now=now,
                primero=rt.primero_push,
            )
        _answer_missed_calls(rt, form, external_id, now)
        session.commit()
        dispatch(rt.redis, rows)
        return _opened_text(case) + caller
    if outcome == Outcome.EXISTING_CASE:
        case = _linked_case(session, user, form)
        contact, created = record_contact(
            session,
            rt.vault,
            channel=Channel.VOICE,
            provider=PROVIDER,
            external_id=external_id,
            disposition=Disposition.CASE_UPDATED,
            started_at=token.started_at,
            now=now,
            phone=form.e164,
            language=form.language.data,
            direction=form.direction.data,
            agent=user,
            case=case,
        )
        if created:
            notes = (form.narrative.data or "").strip()
            if notes:
                add_note(session, rt.vault, case, notes, actor=user, now=now)
            close_callback_request(session, case, contact, actor=user, now=now)
        _answer_missed_calls(rt, form, external_id, now)
        session.commit()
        reference = format_reference(case.reference)
        return gettext("Call saved on case %(reference)s.", reference=reference) + caller
    record_contact(
        session,
        rt.vault,
        channel=Channel.VOICE,
        provider=PROVIDER,
        external_id=external_id,
        disposition=outcome,
        started_at=token.started_at,
        now=now,
        phone=form.e164,
        language=form.language.data,
        direction=form.direction.data,
        agent=user,
    )
    _answer_missed_calls(rt, form, external_id, now)
    session.commit()
    return gettext("Call saved: %(outcome)s.", outcome=OUTCOMES[outcome]) + caller


def _answer_missed_calls(rt: Runtime, form: CallForm, external_id: str, now: datetime) -> None:
    """A call logged with a number answers that number's missed calls."""
    contact = find_contact(db(), PROVIDER, external_id)
    if form.e164 is not None and contact is not None:
        close_missed_calls(db(), rt.vault, form.e164, contact, now=now)


def _linked_case(session: Session, user: User, form: CallForm) -> Case:
    case = find_case_by_reference(session, form.case_reference or "")
    if case is None:
        raise _CaseRefused(gettext("No case has this reference."), 422)
    try:
        # Checked again by record_contact; asked first so that the refusal is on the field.
        check(user, Action.RECORD_CONTACT, case)
    except PermissionDenied:
        session.rollback()
        record_refusal(
            session,
            user,
            Action.RECORD_CONTACT.value,
            now=datetime.now(UTC),
            target={"page": request.endpoint, "case_id": case.id},
        )
        session.commit()
        refused = gettext("Your role or areas do not allow calls on this case.")
        raise _CaseRefused(refused, 403) from None
    return case


def _masked(rt: Runtime, token: bytes | None) -> str:
    return mask_phone(rt.vault.decrypt(token)) if token is not None else ""


def _opened_text(case: Case) -> str:
    reference = format_reference(case.reference)
    text = gettext(
        "Call saved. Case %(reference)s opened, level %(level)s.",
        reference=reference,
        level=LEVELS[case.risk_level],
    )
    if case.alert_pending_since is not None:
        return (
            text
            + " "
            + gettext("Nobody is on call for its area: the alert goes out as soon as someone is.")
        )
    return text + " " + gettext("The staff on call have been alerted.")


def _page(form: CallForm, *, stale: bool = False) -> str:
    rt = runtime()
    user = staff()
    session = db()
    language = i18n.console_language()
    areas = [
        (dict(location.names).get(language, location.name), location.code)
        for location in rt.profile.locations
    ]
    return render_template(
        "console/calls.html",
        form=form,
        stale=stale,
        areas=areas,
        callbacks=waiting_callbacks(session, user),
        missed_calls=[
            (missed, _masked(rt, missed.reporter.phone_encrypted))
            for missed in waiting_missed_calls(session)
        ],
        call_back_form=CallBackForm(formdata=None),
        callback_times={str(key): label for key, label in CALLBACKS.items()},
        recent=recent_calls(session, user, since=datetime.now(UTC) - RECENT),
        outcomes={str(key): label for key, label in OUTCOMES.items()},
        levels=LEVELS,
        format_reference=format_reference,
        format_time=format_time,
        location=rt.profile.location,
    )
