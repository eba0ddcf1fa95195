"""Case work: the list of cases a person may see, with filters and pages, and a case's page
with its whole timeline and the actions on it.

Each action is a small form posted with its CSRF token to its own address and done by the
named operation of the case store, which checks the permission (``case_store.permissions``).
A refusal writes nothing: the page is shown again with the reason (a refused permission is
also recorded on the account's trail). After a write the browser is sent back to the case
page with a short confirmation, and the SMS a write queued (a referral's) is dispatched after
the commit.

Notes are shown decrypted to those who may see the case in clear (``Action.REVEAL``), and
each view is audited (``record_reveal``), as ``kinga cases show`` does. The reporter's
number is shown masked; in clear only after a click on "Show the number" (a POST, audited),
never on a page fetched with GET.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from case_store.enums import CaseStatus, ClosureReason, RiskLevel
from case_store.masking import mask_phone
from case_store.models import Case, OutboxRow, User
from case_store.operations import (
    InvalidNote,
    InvalidTransition,
    NoConsent,
    PermissionDenied,
    acknowledge,
    add_note,
    assign,
    change_risk_level,
    claim,
    close,
    confirm_repeat,
    record_consent,
    record_first_contact,
    record_refusal,
    record_reveal,
    reopen,
    unlink_repeat,
)
from case_store.operations.errors import MAX_NOTE
from case_store.permissions import Action, allowed, can_be_assigned
from case_store.queries.cases import (
    CaseFilter,
    find_case_by_reference,
    is_overdue,
    next_deadline,
    visible_cases,
)
from case_store.queries.messages import case_messages
from case_store.queries.users import list_users
from case_store.references import format_reference
from case_store.service_types import SERVICE_TYPES, service_type
from gateway.case_timeline import revealed_by, timeline
from gateway.runtime import runtime
from gateway.web.console import i18n
from gateway.web.console.accounts import refuse, requires, staff
from gateway.web.console.call_form import AGE_BANDS, CATEGORIES, SEXES
from gateway.web.console.i18n import gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.timeline import window
from gateway.web.console.words import (
    CLOSURE_REASONS,
    LEVELS,
    SERVICES,
    STATUSES,
    SYNC_STATES,
)
from gateway.web.db import db
from workers.dispatch import dispatch
from workers.referrals import AlreadyWaiting, NoProvider, NoWorkPhone, send_referral
from workers.sms.queueing import TooLong

bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE = Page(bp, (MenuItem("console.cases.index", lambda: gettext("Cases"), Action.VIEW),))

PAGE_SIZE: Final = 50
# Further than this many pages, a filter finds the case sooner (and the offset stays cheap).
MAX_PAGE: Final = 200
PHONE: Final = "reporter_phone"


# The list's filters: a GET form (no token, nothing written), every field optional.
class FilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    status = SelectField(_("Status"), validators=[Optional()])
    level = SelectField(_("Level"), validators=[Optional()])
    area = SelectField(_("Area"), validators=[Optional()])
    show = SelectField(_("Show"), validators=[Optional()])


SHOWN: Final[dict[str, Any]] = {
    "": _("All I may see"),
    "mine": _("Assigned to me"),
    "unassigned": _("Unassigned"),
    "overdue": _("Overdue"),
}
ACTIVE: Final = "active"


class ActionForm(FlaskForm):  # type: ignore[misc]
    """An action with nothing to fill in: its token only."""


class AssignForm(FlaskForm):  # type: ignore[misc]
    assignee = SelectField(_("Assign to"), coerce=int, validate_choice=True)


class NoteForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        _("New note"), validators=[DataRequired(), Length(max=MAX_NOTE)], render_kw={"rows": 3}
    )


class ContactForm(FlaskForm):  # type: ignore[misc]
    consent = SelectField(
        _("Consent to services, if asked on this contact"),
        choices=[
            SelectChoice("", _("Not asked")),
            SelectChoice("yes", _("Agreed")),
            SelectChoice("no", _("Refused")),
        ],
        validators=[Optional()],
    )


class ReferForm(FlaskForm):  # type: ignore[misc]
    service = SelectField(
        _("Service needed"), choices=[SelectChoice(key, label) for key, label in SERVICES.items()]
    )
    override_reason = TextAreaField(
        _("Refer without the reporter's consent: why (supervisors)"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        render_kw={"rows": 2},
    )


class LevelForm(FlaskForm):  # type: ignore[misc]
    level = SelectField(
        _("New level"), choices=[SelectChoice(lv.value, label) for lv, label in LEVELS.items()]
    )
    level_reason = TextAreaField(
        _("Reason (needed to lower it)"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        render_kw={"rows": 2},
    )


class CloseForm(FlaskForm):  # type: ignore[misc]
    closure_reason = SelectField(
        _("Reason for closing"),
        choices=[
            SelectChoice(reason.value, label)
            for reason, label in CLOSURE_REASONS.items()
            if reason is not ClosureReason.DUPLICATE  # a merge closes a duplicate
        ],
    )


class RepeatForm(FlaskForm):  # type: ignore[misc]
    decision = StringField(validators=[AnyOf(["same", "different"])])


@bp.get("")
@requires(Action.VIEW)
def index() -> str:
    rt = runtime()
    user = staff()
    form = FilterForm(request.args)
    form.status.choices = [SelectChoice("", _("Any status")), SelectChoice(ACTIVE, _("Not closed"))]
    form.status.choices += [SelectChoice(s.value, label) for s, label in STATUSES.items()]
    form.level.choices = [SelectChoice("", _("Any level"))]
    form.level.choices += [SelectChoice(lv.value, label) for lv, label in LEVELS.items()]
    form.area.choices = [SelectChoice("", _("Any area"))]
    form.area.choices += [SelectChoice(code, name) for code, name in _areas(user).items()]
    form.show.choices = [SelectChoice(key, label) for key, label in SHOWN.items()]
    filters_valid = form.validate()
    page = request.args.get("page", "1")
    number = min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1
    now = datetime.now(UTC)
    wanted = _wanted(form, user, now) if filters_valid else CaseFilter()
    found = visible_cases(db(), user, wanted, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    rows = [
        {
            "case": case,
            "reference": format_reference(case.reference),
            "area": _area_name(case.location_code),
            "due": _when(next_deadline(case)) if case.status is not CaseStatus.CLOSED else None,
            "overdue": is_overdue(case, now),
            "take": _may_take(user, case),
        }
        for case in found[:PAGE_SIZE]
    ]
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "console/cases.html",
        form=form,
        rows=rows,
        number=number,
        previous=url_for(".index", **args, page=number - 1) if number > 1 else None,
        following=url_for(".index", **args, page=number + 1)
        if len(found) > PAGE_SIZE and number < MAX_PAGE
        else None,
        levels=LEVELS,
        statuses=STATUSES,
        categories=CATEGORIES,
        time_zone=rt.profile.time_zone.key,
        take_form=ActionForm(formdata=None),
    )


def _may_take(user: User, case: Case) -> bool:
    """Whether to offer "Take this case": nobody holds it, and ``user`` may claim and hold it."""
    return (
        case.assigned_to_id is None
        and case.status is not CaseStatus.CLOSED
        and allowed(user, Action.CLAIM, case)
        and can_be_assigned(user, case)
    )


def _wanted(form: FilterForm, user: User, now: datetime) -> CaseFilter:
    status, show = form.status.data, form.show.data
    statuses: tuple[CaseStatus, ...] | None = None
    if status == ACTIVE:
        statuses = tuple(s for s in CaseStatus if s is not CaseStatus.CLOSED)
    elif status:
        statuses = (CaseStatus(status),)
    return CaseFilter(
        statuses=statuses,
        levels=(RiskLevel(form.level.data),) if form.level.data else None,
        location_codes=(form.area.data,) if form.area.data else None,
        overdue_at=now if show == "overdue" else None,
        assigned_to_id=user.id if show == "mine" else None,
        unassigned_only=show == "unassigned",
    )


def _areas(user: User) -> dict[str, str]:
    """The areas the list may be filtered by: the person's, or every area."""
    profile = runtime().profile
    return {
        location.code: _area_name(location.code)
        for location in profile.locations
        if not user.areas or location.code in user.areas
    }


def _area_name(code: str) -> str:
    location = runtime().profile.location(code)
    if location is None:
        return code
    return dict(location.names).get(i18n.console_language(), location.name)


def _when(at: datetime | None) -> str | None:
    return None if at is None else str(format_datetime(at, "short"))


@bp.get("/<reference>")
@requires(Action.VIEW)
def show(reference: str) -> tuple[str, int]:
    return _page(_case(reference))


def _case(reference: str) -> Case:
    """The case the address names, if the signed-in person may see it (refused and audited
    otherwise: another area's case)."""
    case = find_case_by_reference(db(), reference)
    if case is None:
        abort(404)
    if not allowed(staff(), Action.VIEW, case):
        refuse(Action.VIEW.value, case_id=case.id)
    return case


def _page(
    case: Case,
    *,
    forms: dict[str, FlaskForm] | None = None,
    refusal: str | None = None,
    phone: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The case page, answered with ``status``; viewing its notes in clear (and the number
    after a reveal) is audited and committed here."""
    rt = runtime()
    session = db()
    user = staff()
    now = datetime.now(UTC)
    in_clear = allowed(user, Action.REVEAL, case)
    revealed = revealed_by(case) if in_clear else []
    if phone is not None:
        revealed.append(PHONE)
    if revealed and refusal is None:
        record_reveal(session, case, revealed, now=now, actor=user)
        session.commit()
    users = {person.id: person.username for person in list_users(session)}
    lines = timeline(case, case_messages(session, case.id), rt.vault, users, reveal=in_clear)
    before = request.args.get("before", "")
    shown_lines = window(lines, int(before) if before.isdigit() else None)
    shown = {**_forms(case, user), **(forms or {})}
    reporter_phone = case.reporter.phone_encrypted if case.reporter else None
    return render_template(
        "console/case.html",
        case=case,
        reference=format_reference(case.reference),
        area=_area_name(case.location_code),
        timeline=shown_lines,
        forms=shown,
        can={action.value: allowed(user, action, case) for action in Action},
        may_take=_may_take(user, case),
        refusal=refusal,
        phone=phone,
        masked=mask_phone(rt.vault.decrypt(reporter_phone)) if reporter_phone else None,
        overdue=is_overdue(case, now),
        when=_when,
        levels=LEVELS,
        statuses=STATUSES,
        sync_states=SYNC_STATES,
        categories=CATEGORIES,
        age_bands=AGE_BANDS,
        sexes=SEXES,
        closure_reasons=CLOSURE_REASONS,
        services=SERVICES,
        service_type=service_type,
        format_reference=format_reference,
        time_zone=rt.profile.time_zone.key,
    ), status


def _forms(case: Case, user: User) -> dict[str, FlaskForm]:
    """Every action's form, blank, for the page (one token per session: any may post)."""
    assign_form = AssignForm(formdata=None)
    assign_form.assignee.choices = _assignees(case)
    return {
        "action": ActionForm(formdata=None),
        "assign": assign_form,
        "note": NoteForm(formdata=None),
        "contact": ContactForm(formdata=None),
        "refer": ReferForm(formdata=None),
        "level": LevelForm(formdata=None, level=case.risk_level.value),
        "close": CloseForm(formdata=None),
        "repeat": RepeatForm(formdata=None),
    }


def _assignees(case: Case) -> list[SelectChoice]:
    people = list_users(db())
    return [
        SelectChoice(person.id, person.username)
        for person in people
        if can_be_assigned(person, case)
    ]


class _Refused(Exception):
    """An action refused before anything was written: the page says why."""

    def __init__(self, message: str, status: int = 409) -> None:
        self.message, self.status = message, status


def _done(case: Case, message: str, rows: list[OutboxRow] | None = None) -> Response:
    rt = runtime()
    db().commit()
    if rows:
        dispatch(rt.redis, rows)
    flash(message, "saved")
    return redirect(url_for(".show", reference=case.reference))


def _run(case: Case, action: Action, form: FlaskForm, name: str, write: Any) -> Any:
    """Validate ``form``, then ``write()`` (which returns the confirmation, or the confirmation
    and the outbox rows); a refusal shows the page again with its reason, writing nothing."""
    if not form.validate_on_submit():
        refusal = gettext("Nothing was saved. Please correct the form.")
        return _page(case, forms={name: form}, refusal=refusal, status=422)
    try:
        result = write()
    except PermissionDenied:
        _audit_refusal(case, action)
        refusal = gettext("Your role, areas or assignment do not allow this on this case.")
        return _page(case, forms={name: form}, refusal=refusal, status=403)
    except _Refused as refused:
        db().rollback()
        return _page(case, forms={name: form}, refusal=refused.message, status=refused.status)
    except InvalidTransition:
        db().rollback()
        refusal = _transition_refused(case, action)
        return _page(case, forms={name: form}, refusal=refusal, status=409)
    message, rows = result if isinstance(result, tuple) else (result, None)
    return _done(case, message, rows)


def _audit_refusal(case: Case, action: Action) -> None:
    session = db()
    session.rollback()
    record_refusal(
        session,
        staff(),
        action.value,
        now=datetime.now(UTC),
        target={"page": request.endpoint, "case_id": case.id},
    )
    session.commit()


def _transition_refused(case: Case, action: Action) -> str:
    if case.status is CaseStatus.CLOSED and action is not Action.REOPEN:
        return gettext("This case is closed: reopen it first.")
    return {
        Action.ASSIGN: gettext("This person cannot hold this case, or already holds it."),
        Action.CLAIM: gettext("Your role or areas do not let you hold this case."),
        Action.ACKNOWLEDGE: gettext("Nobody holds this case yet: assign it first."),
        Action.CHANGE_LEVEL: gettext("The case is already at this level."),
        Action.REOPEN: gettext("This case is not closed."),
        Action.CONFIRM_REPEAT: gettext("This case has no repeat link to decide on."),
    }.get(action, gettext("This cannot be done on this case now."))


def _now() -> datetime:
    return datetime.now(UTC)


@bp.post("/<reference>/assign")
@requires(Action.ASSIGN)
def assign_case(reference: str) -> Any:
    case = _case(reference)
    form = AssignForm()
    form.assignee.choices = _assignees(case)

    def write() -> str:
        assignee = db().get(User, form.assignee.data)
        if assignee is None:
            raise _Refused(gettext("This person cannot hold this case, or already holds it."))
        assign(db(), case, assignee, actor=staff(), now=_now())
        return gettext("Case assigned to %(name)s.", name=assignee.username)

    return _run(case, Action.ASSIGN, form, "assign", write)


@bp.post("/<reference>/take")
@requires(Action.CLAIM)
def take_case(reference: str) -> Any:
    """The signed-in person takes an unassigned case of their areas for themselves; a case
    someone else holds is refused as another area's is (403, audited)."""
    case = _case(reference)

    def write() -> str:
        held = case.assigned_to_id
        if held is not None and held != staff().id:
            raise PermissionDenied(f"case {case.id} is held by user {held}")
        if claim(db(), case, actor=staff(), now=_now()) is None:
            return gettext("You already hold this case.")
        return gettext("You took this case. Acknowledge it once you have read it.")

    return _run(case, Action.CLAIM, ActionForm(), "action", write)


@bp.post("/<reference>/acknowledge")
@requires(Action.ACKNOWLEDGE)
def acknowledge_case(reference: str) -> Any:
    case = _case(reference)

    def write() -> str:
        if acknowledge(db(), case, actor=staff(), now=_now()) is None:
            return gettext("The case was already acknowledged.")
        return gettext("Case acknowledged.")

    return _run(case, Action.ACKNOWLEDGE, ActionForm(), "action", write)


@bp.post("/<reference>/note")
@requires(Action.ADD_NOTE)
def add_case_note(reference: str) -> Any:
    case = _case(reference)
    form = NoteForm()

    def write() -> str:
        try:
            add_note(db(), runtime().vault, case, form.note.data, actor=staff(), now=_now())
        except InvalidNote:
            raise _Refused(gettext("A note needs some text."), 422) from None
        return gettext("Note added.")

    return _run(case, Action.ADD_NOTE, form, "note", write)


@bp.post("/<reference>/contact")
@requires(Action.RECORD_CONTACT)
def record_case_contact(reference: str) -> Any:
    case = _case(reference)
    form = ContactForm()

    def write() -> str:
        user, now = staff(), _now()
        first = record_first_contact(db(), case, actor=user, now=now)
        done = [
            gettext("First contact recorded.")
            if first is not None
            else gettext("The first contact was recorded before.")
        ]
        if form.consent.data:
            record_consent(db(), case, services=form.consent.data == "yes", actor=user, now=now)
            done.append(gettext("Consent to services recorded."))
        return " ".join(done)

    return _run(case, Action.RECORD_CONTACT, form, "contact", write)


@bp.post("/<reference>/refer")
@requires(Action.REFER)
def refer_case(reference: str) -> Any:
    case = _case(reference)
    form = ReferForm()

    def write() -> tuple[str, list[OutboxRow]]:
        rt = runtime()
        override = (form.override_reason.data or "").strip() or None
        try:
            referral, rows = send_referral(
                db(),
                rt.vault,
                case,
                SERVICE_TYPES[form.service.data],
                actor=staff(),
                profile=rt.profile,
                max_segments=rt.settings.sms_max_segments,
                now=_now(),
                override_reason=override,
            )
        except NoConsent:
            raise _Refused(
                gettext(
                    "The reporter has not agreed to services, or refused sharing: record "
                    "their consent first, or a supervisor refers with a reason."
                )
            ) from None
        except InvalidNote:
            raise _Refused(gettext("Give the reason for referring without consent."), 422) from None
        except AlreadyWaiting as waiting:
            raise _Refused(
                gettext(
                    "Referral %(code)s for this service still waits for its provider's answer.",
                    code=waiting.referral.code,
                )
            ) from None
        except NoWorkPhone:
            raise _Refused(
                gettext("Your account has no work phone: the provider would have nobody to call.")
            ) from None
        except NoProvider:
            raise _Refused(
                gettext(
                    "No active provider of this service in the case's area that the case was "
                    "not sent to already."
                )
            ) from None
        except TooLong:
            raise _Refused(
                gettext("The referral is too long for an SMS in the provider's language.")
            ) from None
        message = gettext(
            "Referral %(code)s sent to %(provider)s.",
            code=referral.code,
            provider=referral.service_provider.name,
        )
        return message, rows

    return _run(case, Action.REFER, form, "refer", write)


@bp.post("/<reference>/level")
@requires(Action.CHANGE_LEVEL)
def change_level(reference: str) -> Any:
    case = _case(reference)
    form = LevelForm()

    def write() -> str:
        rt = runtime()
        level = RiskLevel(form.level.data)
        reason = (form.level_reason.data or "").strip() or None
        if level.severity < case.risk_level.severity and reason is None:
            raise _Refused(gettext("Lowering the level needs a reason."), 422)
        change_risk_level(
            db(),
            rt.vault,
            case,
            level,
            actor=staff(),
            now=_now(),
            reason=reason,
            policy=rt.triage,
        )
        return gettext("Level changed to %(level)s.", level=LEVELS[level])

    return _run(case, Action.CHANGE_LEVEL, form, "level", write)


@bp.post("/<reference>/close")
@requires(Action.CLOSE)
def close_case(reference: str) -> Any:
    case = _case(reference)
    form = CloseForm()

    def write() -> str:
        reason = ClosureReason(form.closure_reason.data)
        close(db(), case, reason, actor=staff(), now=_now())
        return gettext("Case closed: %(reason)s.", reason=CLOSURE_REASONS[reason])

    return _run(case, Action.CLOSE, form, "close", write)


@bp.post("/<reference>/reopen")
@requires(Action.REOPEN)
def reopen_case(reference: str) -> Any:
    case = _case(reference)

    def write() -> str:
        reopen(db(), case, actor=staff(), now=_now())
        return gettext("Case reopened.")

    return _run(case, Action.REOPEN, ActionForm(), "action", write)


@bp.post("/<reference>/repeat")
@requires(Action.CONFIRM_REPEAT)
def decide_repeat(reference: str) -> Any:
    case = _case(reference)
    form = RepeatForm()

    def write() -> str:
        original = case.repeat_of
        same = form.decision.data == "same"
        confirm_repeat(db(), case, same, actor=staff(), now=_now())
        if same and original is not None:
            return gettext(
                "Same concern: merged into case %(reference)s.",
                reference=format_reference(original.reference),
            )
        return gettext("Not the same concern: both cases carry on.")

    return _run(case, Action.CONFIRM_REPEAT, form, "repeat", write)


@bp.post("/<reference>/unlink")
@requires(Action.CONFIRM_REPEAT)
def unlink_case(reference: str) -> Any:
    case = _case(reference)

    def write() -> str:
        unlink_repeat(db(), case, actor=staff(), now=_now())
        return gettext("Repeat link undone.")

    return _run(case, Action.CONFIRM_REPEAT, ActionForm(), "action", write)


@bp.post("/<reference>/reveal")
@requires(Action.REVEAL)
def reveal_phone(reference: str) -> Any:
    """The reporter's number in clear, on this answer only (never on a GET); audited."""
    case = _case(reference)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not allowed(staff(), Action.REVEAL, case):
        _audit_refusal(case, Action.REVEAL)
        refusal = gettext("Your role, areas or assignment do not allow this on this case.")
        return _page(case, refusal=refusal, status=403)
    token = case.reporter.phone_encrypted if case.reporter else None
    if token is None:
        flash(gettext("No number is kept for this reporter."), "saved")
        return redirect(url_for(".show", reference=case.reference))
    return _page(case, phone=runtime().vault.decrypt(token))
