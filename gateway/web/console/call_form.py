"""The hotline's call form: its fields, their labels, and what they mean to the case store.

One form for every call. What the call was decides what is written (``Outcome``): a new case
(the same report contract and triage as USSD and SMS), a call about an existing case (found by
reference), or a contact logged with its disposition only. The case's questions are required
only for a new case; each error is shown next to its field, and nothing is written while any
remains. Choices are validated here, their meaning by the report contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length

from case_store.enums import (
    AgeBand,
    CallbackTime,
    Category,
    ChildSex,
    Direction,
    Disposition,
    ReporterRelationship,
)
from case_store.references import parse_reference
from case_store.report_contract import MAX_FREE_TEXT
from gateway.config.profile import Profile, UnknownArea
from gateway.phones import InvalidPhoneNumber, to_e164

_ = lazy_gettext


class Outcome(StrEnum):
    NEW_CASE = "new_case"
    EXISTING_CASE = "existing_case"


OUTCOMES: Final[Mapping[str, Any]] = {
    Outcome.NEW_CASE: _("New case: a concern about a child"),
    Outcome.EXISTING_CASE: _("About an existing case"),
    Disposition.INFORMATION: _("Information only"),
    Disposition.REFERRED_ELSEWHERE: _("Referred elsewhere, no case"),
    Disposition.SILENT: _("Silent call"),
    Disposition.PRANK: _("Prank call"),
    Disposition.WRONG_NUMBER: _("Wrong number"),
    Disposition.ABUSIVE: _("Abusive caller"),
    Disposition.DROPPED: _("Call dropped"),
}
DIRECTIONS: Final[Mapping[str, Any]] = {
    Direction.INBOUND: _("Incoming call"),
    Direction.OUTBOUND: _("We called"),
}
CATEGORIES: Final[Mapping[str, Any]] = {
    Category.PHYSICAL_VIOLENCE: _("Physical violence"),
    Category.SEXUAL_ABUSE: _("Sexual abuse"),
    Category.NEGLECT: _("Neglect or abandonment"),
    Category.MARRIAGE_FGM: _("Child marriage or FGM"),
    Category.LABOUR_TRAFFICKING: _("Child labour or trafficking"),
    Category.MISSING_SEPARATED: _("Missing or separated child"),
    Category.ONLINE_ABUSE: _("Online abuse"),
    Category.OTHER: _("Other"),
}
AGE_BANDS: Final[Mapping[str, Any]] = {
    AgeBand.UNDER_5: _("Under 5"),
    AgeBand.AGE_5_11: _("5-11"),
    AgeBand.AGE_12_14: _("12-14"),
    AgeBand.AGE_15_17: _("15-17"),
    AgeBand.UNKNOWN: _("Don't know"),
}
SEXES: Final[Mapping[str, Any]] = {
    ChildSex.GIRL: _("Girl"),
    ChildSex.BOY: _("Boy"),
    ChildSex.UNKNOWN: _("Not known"),
}
RELATIONSHIPS: Final[Mapping[str, Any]] = {
    ReporterRelationship.CHILD: _("The child"),
    ReporterRelationship.FAMILY: _("Family member"),
    ReporterRelationship.COMMUNITY: _("Neighbour or community"),
    ReporterRelationship.PROFESSIONAL: _("Teacher or health worker"),
    ReporterRelationship.OTHER: _("Someone else"),
}
YES_NO: Final[Mapping[str, Any]] = {"yes": _("Yes"), "no": _("No")}
CONSENTS: Final[Mapping[str, Any]] = {"yes": _("Yes"), "no": _("No"), "": _("Not asked")}
NO_CALLBACK: Final = "no"
CALLBACKS: Final[Mapping[str, Any]] = {
    NO_CALLBACK: _("No call back"),
    CallbackTime.MORNING: _("Morning"),
    CallbackTime.AFTERNOON: _("Afternoon"),
    CallbackTime.EVENING: _("Evening"),
    CallbackTime.ANY: _("Any time"),
}


def _choices(labels: Mapping[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _radio(label: Any, labels: Mapping[str, Any], **kwargs: Any) -> RadioField:
    # Choices are checked in ``CallForm.validate``: a case question left empty is an error
    # only when the call opens a case.
    return RadioField(label, choices=_choices(labels), validate_choice=False, **kwargs)


class CallForm(FlaskForm):  # type: ignore[misc]
    token = HiddenField()
    phone = StringField(
        _("Caller's number"),
        validators=[Length(max=32)],
        # Numbers read left to right in every language, Arabic included.
        render_kw={
            "inputmode": "tel",
            "autocomplete": "off",
            "placeholder": "+254712345678",
            "dir": "ltr",
        },
    )
    direction = _radio(_("Call"), DIRECTIONS, default=Direction.INBOUND.value)
    language = SelectField(_("Caller's language"), choices=[])
    outcome = _radio(_("What was the call?"), OUTCOMES)
    reference = StringField(
        _("Case reference"),
        validators=[Length(max=16)],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": "482-177-302",
            "dir": "ltr",
        },
    )
    danger = _radio(_("Is a child in danger right now?"), YES_NO)
    category = _radio(_("Main concern"), CATEGORIES)
    age_band = _radio(_("Child's age"), AGE_BANDS)
    sex = _radio(_("Child's sex"), SEXES)
    area = StringField(
        _("Area"), validators=[Length(max=64)], render_kw={"list": "areas", "autocomplete": "off"}
    )
    place = StringField(_("Village or place"), validators=[Length(max=200)])
    relationship = _radio(_("The caller is"), RELATIONSHIPS)
    narrative = TextAreaField(
        _("What the caller said"), validators=[Length(max=MAX_FREE_TEXT)], render_kw={"rows": 4}
    )
    consent_services = _radio(_("Agrees to services"), CONSENTS, default="")
    consent_share = _radio(_("Agrees to sharing with other agencies"), CONSENTS, default="")
    callback = _radio(_("Call the caller back"), CALLBACKS, default=NO_CALLBACK)
    submit = SubmitField(_("Save call"))

    # Set by ``validate``: the values in the case store's terms.
    e164: str | None = None
    area_code: str | None = None
    case_reference: str | None = None

    def check_call(self, profile: Profile) -> bool:
        """Check the call as a whole (after the fields' own validators), setting each
        problem on its field; whether there was none."""
        errors: dict[str, Any] = {}
        _choice(self.direction, DIRECTIONS, errors, required=True)
        _choice(self.outcome, OUTCOMES, errors, required=True)
        _choice(self.callback, CALLBACKS, errors, required=True)
        if self.language.data not in profile.languages:
            errors["language"] = _("Choose a language from the list.")
        phone = (self.phone.data or "").strip()
        if phone:
            try:
                self.e164 = to_e164(phone)
            except InvalidPhoneNumber:
                errors["phone"] = _("Write the number with its country code, e.g. +254712345678.")
        outcome = self.outcome.data
        if outcome == Outcome.NEW_CASE:
            self._check_case(profile, errors)
        elif outcome == Outcome.EXISTING_CASE:
            self.case_reference = parse_reference(self.reference.data or "")
            if self.case_reference is None:
                errors["reference"] = _("This is not a case reference: check the 9 digits.")
        elif outcome in OUTCOMES and (self.narrative.data or "").strip():
            errors["narrative"] = _(
                "Notes are kept only with a case: choose a new or an existing case, or clear "
                "the notes."
            )
        if self.callback.data not in (None, NO_CALLBACK) and outcome != Outcome.NEW_CASE:
            errors["callback"] = _("A call back is asked for with a new case only.")
        elif self.callback.data not in (None, NO_CALLBACK) and not phone:
            errors.setdefault("phone", _("A call back needs the caller's number."))
        for name, message in errors.items():
            self[name].errors = [*self[name].errors, message]
        return not errors

    def _check_case(self, profile: Profile, errors: dict[str, Any]) -> None:
        _choice(self.danger, YES_NO, errors, required=True)
        _choice(self.category, CATEGORIES, errors, required=True)
        _choice(self.age_band, AGE_BANDS, errors, required=True)
        _choice(self.sex, SEXES, errors, required=True)
        _choice(self.relationship, RELATIONSHIPS, errors, required=True)
        _choice(self.consent_services, CONSENTS, errors, required=False)
        _choice(self.consent_share, CONSENTS, errors, required=False)
        area = (self.area.data or "").strip()
        if not area:
            errors["area"] = _("Choose the area.")
            return
        try:
            self.area_code = profile.find_area(area).code
        except UnknownArea:
            errors["area"] = _("No area has this name. Choose one from the list.")

    def answers(self) -> dict[str, str]:
        """The report contract's answers for a new case (after ``validate``)."""
        answers = {
            "danger": self.danger.data,
            "category": self.category.data,
            "age_band": self.age_band.data,
            "sex": self.sex.data,
            "area": self.area_code or "",
            "relationship": self.relationship.data,
            "callback": "no" if self.callback.data == NO_CALLBACK else "yes",
        }
        if self.callback.data != NO_CALLBACK:
            answers["callback_time"] = self.callback.data
        for key in ("consent_services", "consent_share"):
            if self[key].data:
                answers[key] = self[key].data
        for key in ("place", "narrative"):
            text = (self[key].data or "").strip()
            if text:
                answers[key] = text
        return answers


def _choice(
    field: RadioField, labels: Mapping[str, Any], errors: dict[str, Any], *, required: bool
) -> None:
    value = field.data
    if value in (None, "") and not required and "" in labels:
        return
    if value not in labels:
        errors[field.name] = _("Choose one.")
