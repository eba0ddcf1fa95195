"""Provider adapters, one module per provider and channel, listed here explicitly."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from gateway.providers import africastalking_sms, africastalking_ussd, log_sms, twilio_sms
from workers.sending import Sender
from workers.settings import Settings, SettingsError

USSD_PROVIDERS: dict[str, ModuleType] = {
    africastalking_ussd.NAME: africastalking_ussd,
}

# Inbound SMS webhooks and senders; the order of KINGA_SMS_PROVIDERS is the failover order.
# ``log`` only sends (records); it has no webhook.
SMS_PROVIDERS: dict[str, ModuleType] = {
    twilio_sms.NAME: twilio_sms,
    africastalking_sms.NAME: africastalking_sms,
    log_sms.NAME: log_sms,
}

# Sender classes by provider name (typed, so mypy checks each one against ``Sender``); the
# gateway builds them from settings and hands the instances to the worker.
SENDERS: dict[str, Callable[..., Sender]] = {
    twilio_sms.NAME: twilio_sms.TwilioSender,
    africastalking_sms.NAME: africastalking_sms.AfricasTalkingSender,
    log_sms.NAME: log_sms.LogSender,
}

# The settings each sender is built from, named for the error when one is missing.
_SENDER_SETTINGS: dict[str, Callable[[Settings], Sender]] = {
    twilio_sms.NAME: lambda s: twilio_sms.TwilioSender(
        s.twilio_account_sid, s.twilio_auth_token, s.twilio_from, base_url=s.twilio_api_url or None
    ),
    africastalking_sms.NAME: lambda s: africastalking_sms.AfricasTalkingSender(
        s.at_username, s.at_api_key, s.at_sender_id or None, base_url=s.at_api_url or None
    ),
    log_sms.NAME: lambda s: log_sms.LogSender(),
}
_REQUIRED = {
    twilio_sms.NAME: "KINGA_TWILIO_ACCOUNT_SID, KINGA_TWILIO_AUTH_TOKEN and KINGA_TWILIO_FROM",
    africastalking_sms.NAME: "KINGA_AT_USERNAME and KINGA_AT_API_KEY",
}


def build_senders(settings: Settings) -> list[Sender]:
    """The senders of ``KINGA_SMS_PROVIDERS``, in its (failover) order."""
    senders: list[Sender] = []
    for name in settings.sms_providers:
        build = _SENDER_SETTINGS.get(name)
        if build is None:
            known = ", ".join(SENDERS)
            raise SettingsError(f"KINGA_SMS_PROVIDERS names {name!r}; known providers: {known}")
        try:
            senders.append(build(settings))
        except ValueError:
            raise SettingsError(f"the {name} provider needs {_REQUIRED[name]}") from None
    return senders
