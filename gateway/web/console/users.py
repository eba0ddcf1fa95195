"""Staff accounts, for administrators: list, create, change, set a password, unlock,
deactivate. Each is a roster or account operation (``case_store.operations``), checked against
the administrator's role there too, and audited on the account's trail.

Work phones are shown masked. A change that may put someone on call for an area sends at once
the alerts that were waiting for nobody, as ``kinga users`` does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from case_store.enums import Role
from case_store.masking import mask_phone
from case_store.models import User
from case_store.on_call import describe_window, is_on_call
from case_store.operations import (
    create_user,
    deactivate_user,
    set_password,
    unlock,
    update_user,
)
from case_store.operations.accounts import is_locked
from case_store.operations.roster import DuplicateUser, InvalidUser
from case_store.passwords import MAX_PASSWORD, MIN_PASSWORD, InvalidPassword
from case_store.permissions import Action
from case_store.queries.users import list_users
from gateway.config.profile import Profile, UnknownArea
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import Runtime, runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.i18n import gettext, language_choices
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import ROLES
from gateway.web.db import db
from workers.pending_alerts import release_pending

bp = Blueprint("users", __name__, url_prefix="/users")
PAGE = Page(bp, (MenuItem("console.users.index", lambda: gettext("Users"), Action.MANAGE_USERS),))


def _password_field(label: Any) -> PasswordField:
    return PasswordField(
        label, validators=[Length(max=MAX_PASSWORD)], render_kw={"autocomplete": "new-password"}
    )


class AccountFields(FlaskForm):  # type: ignore[misc]
    role = SelectField(
        _("Role"), choices=[SelectChoice(str(role), label) for role, label in ROLES.items()]
    )
    phone = StringField(
        _("Work phone"),
        validators=[Length(max=32)],
        render_kw={"inputmode": "tel", "placeholder": "+254711000111", "dir": "ltr"},
    )
    areas = StringField(_("Areas"), validators=[Length(max=2000)])
    language = SelectField(_("Language of alerts"), choices=[])


class NewUserForm(AccountFields):
    username = StringField(
        _("Username"),
        validators=[InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    password = _password_field(_("Password"))
    confirm = _password_field(_("Repeat the password"))
    submit = SubmitField(_("Create the account"))


class EditUserForm(AccountFields):
    submit = SubmitField(_("Save changes"))


class PasswordForm(FlaskForm):  # type: ignore[misc]
    password = _password_field(_("New password"))
    confirm = PasswordField(
        _("Repeat the password"),
        validators=[EqualTo("password", message=_("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_("Set the password"))


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField()


def parse_areas(profile: Profile, text: str) -> list[str]:
    """Area codes from ``text``: codes or names separated by commas (empty: every area)."""
    codes: list[str] = []
    for part in text.split(","):
        if part.strip():
            codes.append(profile.find_area(part).code)
    return codes


def area_names(profile: Profile, codes: list[str]) -> str:
    names = []
    for code in codes:
        location = profile.location(code)
        names.append(location.name if location is not None else code)
    return ", ".join(names)


def _languages(form: AccountFields) -> None:
    form.language.choices = language_choices()


def _account_values(form: AccountFields, rt: Runtime) -> tuple[str | None, list[str]] | None:
    """The phone (E.164) and area codes of the form, or None after setting field errors."""
    phone: str | None = None
    codes: list[str] = []
    ok = True
    if (form.phone.data or "").strip():
        try:
            phone = to_e164(form.phone.data)
        except InvalidPhoneNumber:
            form.phone.errors.append(
                _("Write the number with its country code, e.g. +254712345678.")
            )
            ok = False
    try:
        codes = parse_areas(rt.profile, form.areas.data or "")
    except UnknownArea:
        form.areas.errors.append(_("An area is not known: give codes or names from the list."))
        ok = False
    if form.role.data not in {str(role) for role in Role}:
        form.role.errors.append(_("Choose one."))
        ok = False
    if form.language.data not in rt.profile.languages:
        form.language.errors.append(_("Choose a language from the list."))
        ok = False
    return (phone, codes) if ok else None


def release_waiting_alerts(rt: Runtime) -> None:
    """Send at once the alerts that waited for someone on call (``kinga users`` does too)."""
    release_pending(
        rt.sessions,
        rt.redis,
        rt.vault,
        profile=rt.profile,
        max_segments=rt.settings.sms_max_segments,
        now=datetime.now(UTC),
    )


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("")
@requires(Action.MANAGE_USERS)
def index() -> str:
    rt = runtime()
    now = datetime.now(UTC)
    rows = []
    for user in list_users(db()):
        phone = None
        if user.phone_encrypted is not None:
            phone = mask_phone(rt.vault.decrypt(user.phone_encrypted))
        rows.append(
            {
                "user": user,
                "phone": phone,
                "areas": area_names(rt.profile, user.areas),
                "on_call_now": is_on_call(user, now, rt.profile.time_zone),
                "locked": is_locked(user, now),
            }
        )
    return render_template("console/users.html", rows=rows, roles=ROLES)


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def create() -> Any:
    rt = runtime()
    form = NewUserForm()
    _languages(form)
    if form.language.data is None:
        form.language.data = rt.profile.default_language
    if not form.validate_on_submit():
        return _new_page(form, rt)
    values = _account_values(form, rt)
    if form.password.data != form.confirm.data:
        form.confirm.errors.append(_("The two passwords differ."))
        values = None
    if values is None:
        return _new_page(form, rt), 422
    phone, codes = values
    session = db()
    now = datetime.now(UTC)
    try:
        user = create_user(
            session,
            rt.vault,
            username=form.username.data,
            role=form.role.data,
            phone=phone,
            now=now,
            areas=codes,
            languages=[form.language.data],
            actor=staff(),
        )
        set_password(session, user, form.password.data or "", now=now, actor=staff())
        session.commit()
    except (InvalidUser, InvalidPassword, IntegrityError) as exc:
        session.rollback()
        _account_error(form, exc)
        return _new_page(form, rt), 422
    release_waiting_alerts(rt)
    flash(gettext("Account %(name)s created.", name=user.username), "saved")
    return redirect(url_for(".edit", user_id=user.id))


def _account_error(form: Any, exc: Exception) -> None:
    if isinstance(exc, InvalidPassword):
        form.password.errors.append(_password_rule())
    elif isinstance(exc, DuplicateUser | IntegrityError):
        form.username.errors.append(_("This username or phone number belongs to another account."))
    else:
        form.username.errors.append(_("A username has 1 to 64 characters and no spaces."))


def _password_rule() -> str:
    return gettext(
        "A password has %(min)s to %(max)s characters and is not the username.",
        min=MIN_PASSWORD,
        max=MAX_PASSWORD,
    )


def _new_page(form: NewUserForm, rt: Runtime) -> str:
    return render_template(
        "console/user_new.html", form=form, areas=rt.profile.locations, rule=_password_rule()
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def edit(user_id: int) -> Any:
    rt = runtime()
    user = _user(user_id)
    form = EditUserForm(
        role=user.role.value,
        areas=area_names(rt.profile, user.areas),
        language=user.languages[0] if user.languages else rt.profile.default_language,
    )
    _languages(form)
    if not form.validate_on_submit():
        return _edit_page(rt, user, form)
    values = _account_values(form, rt)
    if values is None:
        return _edit_page(rt, user, form), 422
    phone, codes = values
    session = db()
    try:
        update_user(
            session,
            rt.vault,
            user,
            now=datetime.now(UTC),
            actor=staff(),
            phone=phone,
            role=form.role.data,
            areas=codes,
            languages=[form.language.data],
        )
        session.commit()
    except (InvalidUser, IntegrityError):
        session.rollback()
        form.phone.errors.append(_("This phone number belongs to another account."))
        return _edit_page(rt, user, form), 422
    release_waiting_alerts(rt)
    flash(gettext("Changes saved."), "saved")
    return redirect(url_for(".edit", user_id=user.id))


def _edit_page(
    rt: Runtime, user: User, form: EditUserForm, password_form: PasswordForm | None = None
) -> str:
    now = datetime.now(UTC)
    phone = None
    if user.phone_encrypted is not None:
        phone = mask_phone(rt.vault.decrypt(user.phone_encrypted))
    return render_template(
        "console/user_edit.html",
        user=user,
        form=form,
        phone=phone,
        password_form=password_form or PasswordForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        locked=is_locked(user, now),
        windows=[describe_window(window) for window in user.on_call_windows],
        areas=rt.profile.locations,
        rule=_password_rule(),
        roles=ROLES,
    )


@bp.post("/<int:user_id>/password")
@requires(Action.MANAGE_USERS)
def password(user_id: int) -> Any:
    rt = runtime()
    user = _user(user_id)
    form = PasswordForm()
    edit_form = EditUserForm(formdata=None, role=user.role.value)
    _languages(edit_form)
    if not form.validate_on_submit():
        return _edit_page(rt, user, edit_form, form), 422
    try:
        set_password(db(), user, form.password.data or "", now=datetime.now(UTC), actor=staff())
    except InvalidPassword:
        db().rollback()
        form.password.errors.append(_password_rule())
        return _edit_page(rt, user, edit_form, form), 422
    db().commit()
    flash(gettext("Password set. The account is unlocked."), "saved")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/<int:user_id>/unlock")
@requires(Action.MANAGE_USERS)
def unlock_account(user_id: int) -> Response:
    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        unlock(db(), user, now=datetime.now(UTC), actor=staff())
        db().commit()
        flash(gettext("Account unlocked."), "saved")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/<int:user_id>/deactivate")
@requires(Action.MANAGE_USERS)
def deactivate(user_id: int) -> Response:
    user = _user(user_id)
    if ConfirmForm().validate_on_submit() and user.active:
        deactivate_user(db(), user, now=datetime.now(UTC), actor=staff())
        db().commit()
        flash(gettext("Account deactivated: no more alerts, no sign-in."), "saved")
    return redirect(url_for(".edit", user_id=user.id))
