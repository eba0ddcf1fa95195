"""Who is on call: the on-call flag and the weekly windows of each account that answers alerts
(caseworkers, supervisors, and the roles of the profile's fallback), for supervisors and
administrators. Windows are written as ``kinga users on-call`` takes them, one per line, in
the deployment's time zone. A change that puts someone on call sends at once the alerts that
were waiting for nobody.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import Length

from case_store.models import User
from case_store.on_call import (
    EXAMPLE,
    ON_CALL_ROLES,
    InvalidWindow,
    Slot,
    describe_window,
    is_on_call,
    next_on_call,
    parse_window,
)
from case_store.operations import set_on_call
from case_store.permissions import Action
from case_store.queries.users import list_users
from gateway.runtime import runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.i18n import gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.users import area_names, release_waiting_alerts
from gateway.web.console.words import ROLES
from gateway.web.db import db

bp = Blueprint("roster", __name__, url_prefix="/roster")
PAGE = Page(
    bp, (MenuItem("console.roster.index", lambda: gettext("On call"), Action.MANAGE_ROSTER),)
)


class OnCallForm(FlaskForm):  # type: ignore[misc]
    on_call = RadioField(
        _("On call now, whatever the windows say"),
        choices=[SelectChoice("yes", _("Yes")), SelectChoice("no", _("No"))],
    )
    windows = TextAreaField(
        _("Weekly windows, one per line"),
        validators=[Length(max=2000)],
        render_kw={"rows": 4, "placeholder": EXAMPLE, "spellcheck": "false"},
    )
    submit = SubmitField(_("Save"))


def _answering(user: User) -> bool:
    fallback = runtime().profile.alert_fallback.roles
    return user.active and (user.role in ON_CALL_ROLES or user.role in fallback)


@bp.get("")
@requires(Action.MANAGE_ROSTER)
def index() -> str:
    rt = runtime()
    now = datetime.now(UTC)
    rows = []
    for user in list_users(db()):
        if not _answering(user):
            continue
        upcoming = next_on_call(user, after=now, time_zone=rt.profile.time_zone)
        rows.append(
            {
                "user": user,
                "areas": area_names(rt.profile, user.areas),
                "now": is_on_call(user, now, rt.profile.time_zone),
                "next": None if upcoming is None else format_datetime(upcoming, "short"),
                "windows": [describe_window(window) for window in user.on_call_windows],
            }
        )
    return render_template(
        "console/roster.html", rows=rows, roles=ROLES, time_zone=rt.profile.time_zone.key
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_ROSTER)
def edit(user_id: int) -> Any:
    rt = runtime()
    user = db().get(User, user_id)
    if user is None or not _answering(user):
        abort(404)
    form = OnCallForm(
        on_call="yes" if user.on_call else "no",
        windows="\n".join(describe_window(window) for window in user.on_call_windows),
    )
    if not form.validate_on_submit():
        return _page(user, form)
    slots: list[Slot] = []
    for line in (form.windows.data or "").splitlines():
        if not line.strip():
            continue
        try:
            slots.extend(parse_window(line))
        except InvalidWindow:
            form.windows.errors.append(
                gettext("Write each window like %(example)s.", example=EXAMPLE)
            )
            return _page(user, form), 422
    set_on_call(
        db(),
        user,
        now=datetime.now(UTC),
        actor=staff(),
        on_call=form.on_call.data == "yes",
        windows=slots,
    )
    db().commit()
    release_waiting_alerts(rt)
    flash(gettext("On-call times saved for %(name)s.", name=user.username), "saved")
    return redirect(url_for(".index"))


def _page(user: User, form: OnCallForm) -> str:
    rt = runtime()
    return render_template(
        "console/roster_edit.html",
        user=user,
        form=form,
        roles=ROLES,
        time_zone=rt.profile.time_zone.key,
        areas=area_names(rt.profile, user.areas),
    )
