"""API tokens: each person makes and revokes their own bearer tokens of the JSON API
(``/api/v1``), and an administrator revokes anyone's (a lost laptop, someone leaving).

A new token's secret is shown once, on the answer to the form that made it (never on a page
fetched with GET, and never again: only its hash is kept). Making and revoking are recorded on
the account's trail; revoking another person's token without the right to manage accounts is
refused and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from case_store.api_tokens import MAX_NAME, usable
from case_store.models import ApiToken, User
from case_store.operations.api_tokens import InvalidToken, create_token, revoke_token
from case_store.permissions import Action, PermissionDenied, role_allows
from case_store.queries.api_tokens import get_token, list_tokens
from gateway.web.console.accounts import refuse, staff
from gateway.web.console.i18n import gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.db import db

bp = Blueprint("tokens", __name__, url_prefix="/tokens")
PAGE = Page(bp, (MenuItem("console.tokens.index", lambda: gettext("API tokens")),))

NEVER: Final = "never"
LIFETIMES: Final[dict[str, Any]] = {
    "30": _("30 days"),
    "90": _("90 days"),
    "365": _("A year"),
    NEVER: _("Never"),
}


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _("What the token is for"),
        validators=[DataRequired(), Length(max=MAX_NAME)],
        render_kw={"autocomplete": "off", "placeholder": "Primero sync"},
    )
    expires = SelectField(
        _("Expires after"),
        choices=[SelectChoice(key, label) for key, label in LIFETIMES.items()],
        default="90",
    )
    submit = SubmitField(_("Make a token"))


class RevokeForm(FlaskForm):  # type: ignore[misc]
    """The revoke buttons: their token only."""


@bp.get("")
def index() -> str:
    return _page(TokenForm(formdata=None))


@bp.post("")
def create() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form), 422
    now = datetime.now(UTC)
    days = None if form.expires.data == NEVER else int(form.expires.data)
    expires_at = None if days is None else now + timedelta(days=days)
    user = staff()
    try:
        _token, secret = create_token(
            db(), user, name=form.name.data, now=now, actor=user, expires_at=expires_at
        )
    except InvalidToken:
        db().rollback()
        form.name.errors.append(gettext("Give the token a name."))
        return _page(form), 422
    db().commit()
    return _page(TokenForm(formdata=None), secret=secret), 201


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> Any:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    token = get_token(db(), token_id)
    if token is None:
        abort(404)
    try:
        revoke_token(db(), token, now=datetime.now(UTC), actor=staff())
    except PermissionDenied:
        refuse(Action.MANAGE_USERS.value, token_id=token_id)
    db().commit()
    flash(gettext("Token “%(name)s” revoked.", name=token.name), "saved")
    return redirect(url_for(".index"))


def _page(form: TokenForm, *, secret: str | None = None) -> str:
    session, me, now = db(), staff(), datetime.now(UTC)
    mine = list_tokens(session, me)
    others: list[ApiToken] = []
    if role_allows(me, Action.MANAGE_USERS):
        others = [t for t in list_tokens(session) if t.user_id != me.id and usable(t, now)]
    return render_template(
        "console/tokens.html",
        form=form,
        secret=secret,
        mine=[_row(token, now) for token in mine],
        others=[_row(token, now) for token in others],
        revoke_form=RevokeForm(formdata=None),
    )


def _row(token: ApiToken, now: datetime) -> dict[str, Any]:
    holder: User = token.user
    return {
        "id": token.id,
        "holder": holder.username,
        "name": token.name,
        "created": _when(token.created_at),
        "last_used": _when(token.last_used_at),
        "expires": _when(token.expires_at),
        "revoked": _when(token.revoked_at),
        "usable": usable(token, now),
    }


def _when(at: datetime | None) -> str | None:
    return None if at is None else str(format_datetime(at, "short"))
