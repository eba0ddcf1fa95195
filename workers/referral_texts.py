"""What referral texts say, to providers and to caseworkers, and the words providers answer with.

To a provider: the referral code, the service needed, the area and the referring caseworker's
work number; never a name, a place or the narrative (docs/product.md). To a caseworker: the
provider's name (an organisation), the code, the case reference and the service. Each text is
in its reader's language: a provider's first language that the deployment ships, else the
profile's default; a caseworker's as for alerts.

The service words and YES / NO are catalog messages too: a provider reads the words of its
language and may answer in any shipped language or in English (``answer_words``), and a
caseworker names the service in their language or in English (``service_words``). Command
words staff type (REFER, OVERRIDE, ACK) stay English everywhere, as ACK does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from babel.support import Translations

from case_store.enums import Service
from case_store.service_types import SERVICE_TYPES
from dialogs.normalise import fold_word
from dialogs.render import N_, fold_to_gsm7, load_translations
from workers.context import Deployment

# One word each, in every language: a caseworker types it after REFER.
SERVICE_WORDS: Mapping[Service, str] = MappingProxyType(
    {
        Service.MEDICAL: N_("health"),
        Service.SHELTER: N_("shelter"),
        Service.LEGAL: N_("legal"),
        Service.PSYCHOSOCIAL: N_("psychosocial"),
        Service.POLICE: N_("police"),
        Service.EDUCATION: N_("education"),
    }
)
YES = N_("YES")
NO = N_("NO")

TO_PROVIDER = N_(
    "Kinga referral {code}: {service} service needed, {area}. Caseworker: {phone}. "
    "Reply {yes} {code} or {no} {code} reason."
)
REMINDER = N_(
    "Kinga reminder, referral {code}: {service} service needed, {area}. Caseworker: {phone}. "
    "Reply {yes} {code} or {no} {code} reason."
)
PROVIDER_ACCEPTED = N_("Kinga: referral {code} accepted, thank you. The caseworker has been told.")
PROVIDER_DECLINED = N_("Kinga: referral {code} declined. The caseworker has been told.")
ALREADY_ANSWERED = N_("Kinga: referral {code} was already answered. Nothing changed.")
UNKNOWN_CODE = N_("Kinga: no referral {code} for this phone. Nothing changed.")
NEEDS_CODE = N_(
    "Kinga: add the referral code from our message: {yes} code, or {no} code and the reason. "
    "Nothing changed."
)
NOT_A_PROVIDER = N_("Kinga: this phone is not registered to answer referrals. Nothing changed.")

# To whoever referred (the reply to REFER) and to the caseworker holding the case when a
# supervisor referred it.
REFERRED = N_(
    "Kinga: case {reference} referred to {provider} for {service}, code {code}. "
    "You will be told their answer."
)
CASEWORKER_ACCEPTED = N_(
    "Kinga: {provider} accepted referral {code} (case {reference}, {service})."
)
CASEWORKER_DECLINED = N_(
    "Kinga: {provider} declined referral {code} (case {reference}, {service}). "
    "To refer elsewhere: REFER {ack} {service}"
)
CASEWORKER_NO_REPLY = N_(
    "Kinga: no reply from {provider} to referral {code} (case {reference}, {service}). "
    "To refer elsewhere: REFER {ack} {service}"
)


def provider_language(languages: Iterable[str], profile: Deployment) -> str:
    """A provider's first language the deployment ships, else the profile's default."""
    return next((lang for lang in languages if lang in profile.languages), profile.default_language)


def render(message: str, language: str, profile: Deployment, **values: str) -> str:
    """``message`` in ``language`` with ``values``, the service word and YES/NO in that language
    too (``service`` is given as a ``Service`` value), folded to GSM-7 where the profile says."""
    translations = load_translations(language)
    if "service" in values:
        values["service"] = service_word(Service(values["service"]), translations)
    values |= {"yes": translations.gettext(YES), "no": translations.gettext(NO)}
    text = translations.gettext(message).format_map(values)
    return fold_to_gsm7(text) if language in profile.fold_accents else text


def service_word(service: Service, translations: Translations) -> str:
    msgid = SERVICE_WORDS.get(service)
    return service.value if msgid is None else translations.gettext(msgid)


def service_words(translations: Translations) -> dict[str, Service]:
    """Folded word → service, for what a caseworker may type: the English type word, or the
    word in their language (``translations``)."""
    words = {fold_word(name): service for name, service in SERVICE_TYPES.items()}
    for service, msgid in SERVICE_WORDS.items():
        words.setdefault(fold_word(translations.gettext(msgid)), service)
    return words


def answer_words(languages: Iterable[str]) -> dict[str, bool]:
    """Folded word → accepted (True for YES, False for NO), in English and in ``languages``."""
    words = {fold_word(YES): True, fold_word(NO): False}
    for language in languages:
        translations = load_translations(language)
        words.setdefault(fold_word(translations.gettext(YES)), True)
        words.setdefault(fold_word(translations.gettext(NO)), False)
    return words
