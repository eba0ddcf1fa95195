"""Signing in and out, and the language of the console.

The sign-in form answers a wrong password, an unknown name, a deactivated account and one
without a password with the same words; a locked account (and a name tried as often as would
lock one) says it is locked and for how long, whether or not the name exists. Too many
failures from one address are refused for a while (``throttle.py``). Every sign-in, failure,
lock and sign-out of an account is on its trail (``case_store.operations.accounts``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from case_store.operations import set_console_language, sign_in, sign_out
from case_store.operations.accounts import SignInOutcome
from case_store.passwords import LOCK_DURATION, MAX_PASSWORD
from case_store.queries.users import find_user
from gateway.runtime import runtime
from gateway.web.console import i18n
from gateway.web.console.accounts import Account, client_address, staff
from gateway.web.console.i18n import gettext
from gateway.web.console.pages import Page
from gateway.web.console.throttle import Throttle
from gateway.web.db import db

log = logging.getLogger("kinga.console")

bp = Blueprint("auth", __name__)
PAGE = Page(bp)

LOCK_MINUTES: Final = int(LOCK_DURATION.total_seconds() // 60)
HOME: Final = "console.home.index"
# The layout's own forms share every page with the page's form: their fields are prefixed.
LANGUAGE_PREFIX: Final = "lang"
LOGOUT_PREFIX: Final = "out"


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        lazy_gettext("Username"),
        validators=[InputRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"},
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[InputRequired(), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(lazy_gettext("Sign in"))


class LanguageForm(FlaskForm):  # type: ignore[misc]
    language = SelectField(lazy_gettext("Language"), choices=[])
    next = HiddenField()
    submit = SubmitField(lazy_gettext("Change"))


class LogoutForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField(lazy_gettext("Sign out"))


def _throttle() -> Throttle:
    rt = runtime()
    return Throttle(rt.redis, rt.settings.secret_key)


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path inside the console (never another site, whatever its form)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff"):
        return None
    if "\\" in target or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    chosen = request.args.get("lang")
    if chosen in i18n.enabled():
        session[i18n.SESSION_KEY] = chosen
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("console/login.html", form=form)
    address = client_address()
    throttle = _throttle()
    if throttle.address_blocked(address):
        return _refused(form, _address_blocked_text(), 429)
    name, password = form.username.data.strip(), form.password.data
    user = find_user(db(), name)
    now = datetime.now(UTC)
    if user is None:
        # No account to keep the attempt on: logged, without the name (it may be a password
        # typed in the wrong field).
        log.info("console sign-in refused: no account by the name typed, from %s", address)
        if throttle.unknown_name_locked(name):
            return _refused(form, _locked_text())
        sign_in(db(), None, password, now=now, address=address)
        throttle.failed(address)
        locked = throttle.unknown_name_failed(name)
        return _refused(form, _locked_text() if locked else _wrong_text())
    result = sign_in(db(), user, password, now=now, address=address)
    db().commit()
    if result.outcome is SignInOutcome.LOCKED:
        throttle.failed(address)
        return _refused(form, _locked_text())
    if result.outcome is SignInOutcome.REFUSED:
        throttle.failed(address)
        return _refused(form, _wrong_text())
    language = session.get(i18n.SESSION_KEY)
    session.clear()  # nothing from before the sign-in carries over
    if language is not None:
        session[i18n.SESSION_KEY] = language
    session.permanent = True
    login_user(Account(user))
    return redirect(safe_next(form.next.data) or url_for(HOME))


def _wrong_text() -> str:
    return gettext("Wrong username or password.")


def _locked_text() -> str:
    return gettext(
        "Too many failed attempts: this account is locked for %(minutes)s minutes. "
        "An administrator can unlock it sooner.",
        minutes=LOCK_MINUTES,
    )


def _address_blocked_text() -> str:
    return gettext("Too many failed attempts from this network. Wait a few minutes and retry.")


def _refused(form: LoginForm, message: str, status: int = 200) -> tuple[str, int]:
    form.password.data = ""
    return render_template("console/login.html", form=form, refusal=message), status


@bp.post("/logout")
def logout() -> Response:
    form = LogoutForm(prefix=LOGOUT_PREFIX)
    if form.validate_on_submit():
        sign_out(db(), staff(), now=datetime.now(UTC), address=client_address())
        db().commit()
    logout_user()
    language = session.get(i18n.SESSION_KEY)
    session.clear()
    if language is not None:
        session[i18n.SESSION_KEY] = language
    return redirect(url_for("console.auth.login"))


@bp.post("/language")
def language() -> Response:
    form = LanguageForm(prefix=LANGUAGE_PREFIX)
    form.language.choices = i18n.language_choices()
    if form.validate_on_submit():
        set_console_language(staff(), form.language.data)
        session[i18n.SESSION_KEY] = form.language.data
        db().commit()
    return redirect(safe_next(form.next.data) or url_for(HOME))
