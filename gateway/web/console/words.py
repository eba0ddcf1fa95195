"""Words the console shows for the case store's values, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import lazy_gettext as _

from case_store.enums import Channel, RiskLevel, Role

LEVELS: Final[Mapping[RiskLevel, Any]] = {
    RiskLevel.IMMEDIATE: _("Immediate"),
    RiskLevel.HIGH: _("High"),
    RiskLevel.MEDIUM: _("Medium"),
    RiskLevel.LOW: _("Low"),
}
ROLES: Final[Mapping[Role, Any]] = {
    Role.HOTLINE_AGENT: _("Hotline agent"),
    Role.CASEWORKER: _("Caseworker"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ADMIN: _("Administrator"),
}
CHANNELS: Final[Mapping[Channel, Any]] = {
    Channel.USSD: _("USSD"),
    Channel.SMS: _("SMS"),
    Channel.VOICE: _("Phone call"),
}
# Child Helpline International's top-level categories (``case_store.categories``).
CHI_CATEGORIES: Final[Mapping[str, Any]] = {
    "missing_children": _("Missing children"),
    "violence": _("Violence"),
    "mental_health": _("Mental health"),
    "physical_health": _("Physical health"),
    "access_to_services": _("Access to services"),
    "discrimination_and_exclusion": _("Discrimination and exclusion"),
    "family_relationships": _("Family relationships"),
    "peer_relationships": _("Peer relationships"),
    "education_and_occupation": _("Education and occupation"),
    "sexuality": _("Sexuality"),
    "non_counselling_contacts": _("Non-counselling contacts"),
}
