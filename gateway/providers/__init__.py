"""Provider adapters, one module per provider and channel, listed here explicitly."""

from __future__ import annotations

from types import ModuleType

from gateway.providers import africastalking_ussd

USSD_PROVIDERS: dict[str, ModuleType] = {
    africastalking_ussd.NAME: africastalking_ussd,
}
