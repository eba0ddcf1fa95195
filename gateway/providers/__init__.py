"""Provider adapters, one module per provider and channel, listed here explicitly."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from gateway.providers import africastalking_sms, africastalking_ussd, twilio_sms
from workers.sending import Sender

USSD_PROVIDERS: dict[str, ModuleType] = {
    africastalking_ussd.NAME: africastalking_ussd,
}

# Inbound SMS webhooks and senders; the order of KINGA_SMS_PROVIDERS is the failover order.
SMS_PROVIDERS: dict[str, ModuleType] = {
    twilio_sms.NAME: twilio_sms,
    africastalking_sms.NAME: africastalking_sms,
}

# Sender classes by provider name (typed, so mypy checks each one against ``Sender``); the
# gateway builds them from settings and hands the instances to the worker.
SENDERS: dict[str, Callable[..., Sender]] = {
    twilio_sms.NAME: twilio_sms.TwilioSender,
    africastalking_sms.NAME: africastalking_sms.AfricasTalkingSender,
}
