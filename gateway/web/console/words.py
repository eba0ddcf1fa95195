"""Words the console shows for the case store's values, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask_babel import lazy_gettext as _

from case_store.enums import RiskLevel, Role

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
