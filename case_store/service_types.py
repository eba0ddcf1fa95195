"""The service types a provider registers with and a caseworker refers for, as people say them.

``kinga services create --type health`` and ``REFER 482177302 health`` use these English words;
the store keeps the ``Service`` values they map onto (``health`` is stored as ``medical``, the
value referrals have always had). The words in other languages are the catalogs' business
(``workers.referral_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from case_store.enums import Service

SERVICE_TYPES: Mapping[str, Service] = MappingProxyType(
    {
        "health": Service.MEDICAL,
        "shelter": Service.SHELTER,
        "legal": Service.LEGAL,
        "psychosocial": Service.PSYCHOSOCIAL,
        "police": Service.POLICE,
        "education": Service.EDUCATION,
    }
)
_TYPE_OF = {service: name for name, service in SERVICE_TYPES.items()}


class UnknownServiceType(ValueError):
    """A word that is none of the service types; the message lists them."""


def parse_service_type(text: str) -> Service:
    """The service ``text`` (a type word, any case) names, or ``UnknownServiceType``."""
    found = SERVICE_TYPES.get(text.strip().lower())
    if found is None:
        raise UnknownServiceType(f"service type must be one of: {', '.join(SERVICE_TYPES)}")
    return found


def service_type(service: Service | str) -> str:
    """The type word for a stored service (``medical`` → ``health``); a service no type names
    (``child_protection``, ``other``: older records) is shown as stored."""
    value = Service(service)
    return _TYPE_OF.get(value, value.value)
