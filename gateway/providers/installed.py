"""The installed providers: one explicit list, in the order senders fail over by default.

Adding a provider is one folder (or module) under ``gateway/providers/`` exporting a
``PROVIDER`` record, and one line here. Nothing registers itself on import.
"""

from __future__ import annotations

from gateway.config.settings import Settings, SettingsError
from gateway.providers import log
from gateway.providers.africastalking import sms as africastalking_sms
from gateway.providers.africastalking import ussd as africastalking_ussd
from gateway.providers.africastalking import voice as africastalking_voice
from gateway.providers.provider import Provider
from gateway.providers.twilio import sms as twilio_sms
from workers.sms.provider_api import Sender

INSTALLED: tuple[Provider, ...] = (
    africastalking_ussd.PROVIDER,
    twilio_sms.PROVIDER,
    africastalking_sms.PROVIDER,
    africastalking_voice.PROVIDER,
    log.PROVIDER,
)


def build_senders(settings: Settings, installed: tuple[Provider, ...] = INSTALLED) -> list[Sender]:
    """The senders of ``KINGA_SMS_PROVIDERS``, in its (failover) order."""
    senders = {p.name: p for p in installed if p.channel == "sms" and p.sender is not None}
    built: list[Sender] = []
    for name in settings.sms_providers:
        provider = senders.get(name)
        if provider is None or provider.sender is None:
            known = ", ".join(senders)
            raise SettingsError(f"KINGA_SMS_PROVIDERS names {name!r}; known providers: {known}")
        try:
            built.append(provider.sender(settings))
        except ValueError:
            needed = _and(provider.required_settings)
            raise SettingsError(f"the {name} provider needs {needed}") from None
    return built


def _and(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
