"""What Kinga sends to Primero, as policy: which cases (``PushPolicy``) and under which field
names (``FieldMap``, deployment-profile data checked at start and by ``kinga primero check``
against the module's forms).

Pure: no database, no HTTP. The sync job builds the record (``workers.primero.record``) and
the case store keeps the sync state (``operations.primero``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from case_store.enums import RiskLevel

# Kinga's fields that may be sent, each under the Primero field name the profile gives it.
# ``reporter_phone`` goes only when the reporter agreed to be contacted.
OUR_FIELDS = (
    "created_at",
    "risk_level",
    "urgent_protection_concern",
    "protection_concerns",
    "sex",
    "age",
    "location",
    "consent_services",
    "consent_share",
    "narrative",
    "reporter_phone",
    "status",
)
PRIMERO_FIELD = re.compile(r"[a-z][a-z0-9_]{0,63}")
ALL = "all"


class InvalidFieldMap(ValueError):
    """The profile's ``primero.fields`` is not a usable field map; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class FieldMap:
    """Our field → the Primero field it is written to; a field left out is not sent."""

    fields: Mapping[str, str]

    @classmethod
    def from_profile(cls, value: Any) -> FieldMap:
        """Parse ``{our_field: primero_field}``, refusing unknown or repeated names."""
        if not isinstance(value, Mapping) or not value:
            raise InvalidFieldMap(["primero.fields must map Kinga's fields to Primero's"])
        problems: list[str] = []
        seen: dict[str, str] = {}
        for ours, theirs in value.items():
            if ours not in OUR_FIELDS:
                problems.append(
                    f"primero.fields: {ours!r} is not a field Kinga sends "
                    f"(it knows {', '.join(OUR_FIELDS)})"
                )
            elif not isinstance(theirs, str) or not PRIMERO_FIELD.fullmatch(theirs):
                problems.append(f"primero.fields.{ours}: expected a Primero field name")
            elif theirs in seen:
                problems.append(f"primero.fields: {seen[theirs]} and {ours} both write {theirs!r}")
            else:
                seen[theirs] = str(ours)
        if problems:
            raise InvalidFieldMap(problems)
        return cls(MappingProxyType({str(k): str(v) for k, v in value.items()}))

    def name(self, ours: str) -> str | None:
        return self.fields.get(ours)


@dataclass(frozen=True)
class PushPolicy:
    """Which new cases go to Primero: all, or those at or above ``minimum`` level."""

    minimum: RiskLevel | None = None

    @classmethod
    def parse(cls, text: str) -> PushPolicy:
        """``all`` or a risk level (``high``: high and immediate); ValueError otherwise."""
        word = text.strip().lower()
        if word == ALL:
            return cls()
        try:
            return cls(RiskLevel(word))
        except ValueError:
            levels = ", ".join(level.value for level in RiskLevel)
            raise ValueError(f"expected {ALL} or a risk level ({levels}), not {text!r}") from None

    def pushes(self, level: RiskLevel) -> bool:
        return self.minimum is None or level.severity >= self.minimum.severity

    def __str__(self) -> str:
        return ALL if self.minimum is None else f"{self.minimum.value} and above"


def risk_level(level: RiskLevel) -> str:
    """Primero's risk levels are high, medium and low: immediate danger is high there (and
    ``urgent_protection_concern``)."""
    return RiskLevel.HIGH.value if level is RiskLevel.IMMEDIATE else level.value
