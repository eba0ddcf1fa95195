"""Service providers, the organisations cases are referred to: listed (filtered by service,
area and status) for supervisors and administrators; created, changed, deactivated and
reactivated by administrators (``Action.MANAGE_SERVICES``), as ``kinga services`` does.

Each change is a provider operation (``case_store.operations.services``), checked against the
administrator's role there too and audited on the provider's trail under their name. A refusal
of the store (a phone that is another provider's or a staff work phone) is shown on its field
and nothing is stored. Phones are shown masked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from case_store.masking import mask_phone
from case_store.models import ServiceProvider
from case_store.operations import (
    DuplicateProvider,
    InvalidProvider,
    create_provider,
    deactivate_provider,
    reactivate_provider,
    update_provider,
)
from case_store.operations.services import MAX_PROVIDER_NAME
from case_store.permissions import Action, role_allows
from case_store.queries.service_providers import list_providers, open_referral_counts
from case_store.service_types import SERVICE_TYPES, service_type
from gateway.config.profile import UnknownArea
from gateway.phones import InvalidPhoneNumber, to_e164
from gateway.runtime import Runtime, runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.i18n import area_name, gettext, language_choices, language_name
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.users import parse_areas
from gateway.web.console.words import SERVICES
from gateway.web.db import db
from workers.referral_texts import provider_language

bp = Blueprint("services", __name__, url_prefix="/services")
PAGE = Page(
    bp,
    (
        MenuItem(
            "console.services.index", lambda: gettext("Service providers"), Action.VIEW_SERVICES
        ),
    ),
)

ACTIVE: Final = {"active": True, "inactive": False}


# The list's filters: a GET form (no token, nothing written), every field optional.
class FilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    service = SelectField(_("Service"), validators=[Optional()])
    area = SelectField(_("Area"), validators=[Optional()])
    status = SelectField(
        _("Status"),
        choices=[
            SelectChoice("", _("Active or not")),
            SelectChoice("active", _("Active")),
            SelectChoice("inactive", _("Deactivated")),
        ],
        validators=[Optional()],
    )


class ProviderForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _("Name of the organisation"),
        filters=[lambda text: " ".join(text.split()) if text else text],
        validators=[
            DataRequired(message=_("Give the organisation's name.")),
            Length(max=MAX_PROVIDER_NAME),
        ],
        render_kw={"autocomplete": "off"},
    )
    services = SelectMultipleField(
        _("Services it offers"),
        choices=[SelectChoice(word, label) for word, label in SERVICES.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(message=_("Choose at least one service."))],
    )
    phone = StringField(
        _("Phone"),
        validators=[Length(max=32)],
        render_kw={"inputmode": "tel", "placeholder": "+254711000111", "dir": "ltr"},
    )
    areas = StringField(_("Areas it serves"), validators=[Length(max=2000)])
    language = SelectField(_("Language of its texts"), choices=[])
    submit = SubmitField(_("Save"))


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A button with its token only."""


def _masked(provider: ServiceProvider) -> str | None:
    token = provider.phone_encrypted
    return None if token is None else mask_phone(runtime().vault.decrypt(token))


def _areas_shown(codes: list[str]) -> str:
    return ", ".join(area_name(code) for code in codes)


@bp.get("")
@requires(Action.VIEW_SERVICES)
def index() -> str:
    rt = runtime()
    form = FilterForm(request.args)
    form.service.choices = [SelectChoice("", _("Any service"))]
    form.service.choices += [SelectChoice(word, label) for word, label in SERVICES.items()]
    form.area.choices = [SelectChoice("", _("Any area"))]
    form.area.choices += [
        SelectChoice(location.code, area_name(location.code)) for location in rt.profile.locations
    ]
    valid = form.validate()
    providers = list_providers(
        db(),
        service=SERVICE_TYPES[form.service.data] if valid and form.service.data else None,
        area=form.area.data if valid and form.area.data else None,
        active=ACTIVE.get(form.status.data or "") if valid else None,
    )
    waiting = open_referral_counts(db(), [provider.id for provider in providers])
    rows = [
        {
            "provider": provider,
            "services": [SERVICES.get(service_type(s), service_type(s)) for s in provider.services],
            "areas": _areas_shown(provider.areas),
            "language": language_name(provider_language(provider.languages, rt.profile)),
            "phone": _masked(provider),
            "waiting": waiting.get(provider.id, 0),
        }
        for provider in providers
    ]
    return render_template(
        "console/services.html",
        form=form,
        rows=rows,
        manage=role_allows(staff(), Action.MANAGE_SERVICES),
    )


def _values(form: ProviderForm, rt: Runtime, *, phone_needed: bool) -> tuple[str | None, list[str]]:
    """The phone (E.164; None: unchanged) and the area codes, after setting field errors."""
    phone: str | None = None
    codes: list[str] = []
    typed = (form.phone.data or "").strip()
    if typed:
        try:
            phone = to_e164(typed)
        except InvalidPhoneNumber:
            form.phone.errors.append(
                _("Write the number with its country code, e.g. +254712345678.")
            )
    elif phone_needed:
        form.phone.errors.append(_("Give its phone: referrals are sent there."))
    try:
        codes = parse_areas(rt.profile, form.areas.data or "")
    except UnknownArea:
        form.areas.errors.append(_("An area is not known: give codes or names from the list."))
    if form.language.data not in rt.profile.languages:
        form.language.errors.append(_("Choose a language from the list."))
    return phone, codes


def _refused(form: ProviderForm, exc: Exception) -> None:
    """The store's refusal, on the field it concerns (its own message is English)."""
    if isinstance(exc, DuplicateProvider | IntegrityError):
        form.phone.errors.append(
            _("This number is already another service provider's or a staff work phone.")
        )
    else:
        form.name.errors.append(_("Check the name, services and areas."))


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.MANAGE_SERVICES)
def create() -> Any:
    rt = runtime()
    form = ProviderForm()
    form.language.choices = language_choices()
    if form.language.data is None:
        form.language.data = rt.profile.default_language
    if not form.validate_on_submit():
        return _form_page(form, None)
    phone, codes = _values(form, rt, phone_needed=True)
    if form.errors or phone is None:
        return _form_page(form, None), 422
    session = db()
    try:
        provider = create_provider(
            session,
            rt.vault,
            name=form.name.data,
            services=form.services.data,
            areas=codes,
            phone=phone,
            languages=[form.language.data],
            now=datetime.now(UTC),
            known_areas=_known(rt),
            actor=staff(),
        )
        session.commit()
    except (InvalidProvider, IntegrityError) as exc:
        session.rollback()
        _refused(form, exc)
        return _form_page(form, None), 422
    flash(gettext("Service provider %(name)s created.", name=provider.name), "saved")
    return redirect(url_for(".index"))


@bp.route("/<int:provider_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_SERVICES)
def edit(provider_id: int) -> Any:
    rt = runtime()
    provider = _provider(provider_id)
    language = provider_language(provider.languages, rt.profile)
    form = ProviderForm(
        name=provider.name,
        services=[service_type(service) for service in provider.services],
        areas=_areas_shown(provider.areas),
        language=language,
    )
    form.language.choices = language_choices()
    if not form.validate_on_submit():
        return _form_page(form, provider)
    phone, codes = _values(form, rt, phone_needed=False)
    if form.errors:
        return _form_page(form, provider), 422
    session = db()
    try:
        event = update_provider(
            session,
            rt.vault,
            provider,
            now=datetime.now(UTC),
            actor=staff(),
            known_areas=_known(rt),
            name=form.name.data,
            services=form.services.data,
            areas=codes,
            phone=phone,
            # Kept as they are unless another language is chosen: the command line may have
            # given several, in order.
            languages=None if form.language.data == language else [form.language.data],
        )
        session.commit()
    except (InvalidProvider, IntegrityError) as exc:
        session.rollback()
        _refused(form, exc)
        return _form_page(form, provider), 422
    flash(gettext("Changes saved.") if event else gettext("Nothing changed."), "saved")
    return redirect(url_for(".index"))


@bp.post("/<int:provider_id>/deactivate")
@requires(Action.MANAGE_SERVICES)
def deactivate(provider_id: int) -> Response:
    provider = _provider(provider_id)
    if ConfirmForm().validate_on_submit() and provider.active:
        deactivate_provider(db(), provider, now=datetime.now(UTC), actor=staff())
        db().commit()
        flash(
            gettext("%(name)s deactivated: no new referral goes there.", name=provider.name),
            "saved",
        )
    return redirect(url_for(".edit", provider_id=provider.id))


@bp.post("/<int:provider_id>/reactivate")
@requires(Action.MANAGE_SERVICES)
def reactivate(provider_id: int) -> Response:
    provider = _provider(provider_id)
    if ConfirmForm().validate_on_submit() and not provider.active:
        reactivate_provider(db(), provider, now=datetime.now(UTC), actor=staff())
        db().commit()
        flash(
            gettext("%(name)s reactivated: referrals may go there again.", name=provider.name),
            "saved",
        )
    return redirect(url_for(".edit", provider_id=provider.id))


def _provider(provider_id: int) -> ServiceProvider:
    provider = db().get(ServiceProvider, provider_id)
    if provider is None:
        abort(404)
    return provider


def _known(rt: Runtime) -> set[str]:
    return {location.code for location in rt.profile.locations}


def _form_page(form: ProviderForm, provider: ServiceProvider | None) -> str:
    return render_template(
        "console/service_form.html",
        form=form,
        provider=provider,
        phone=None if provider is None else _masked(provider),
        confirm_form=ConfirmForm(formdata=None),
    )
