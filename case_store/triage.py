"""Triage as data: a risk level and two deadlines from the dialog answers.

The policy comes from the deployment profile (``TriagePolicy.from_mapping``) or defaults to
the table in docs/product.md ("Triage and deadlines"). A case's level is the most urgent of its
category's level and of every raise rule that matches. Triage only ever raises; lowering a
level is a person's decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from case_store.columns import as_utc
from case_store.enums import AgeBand, Category, ChildSex, ReporterRelationship, RiskLevel
from case_store.report_contract import Answers, parse_answers

_DURATION = re.compile(r"(\d+)\s*(m|min|h|d)")
DEFAULT_REPEAT_WINDOW = timedelta(days=7)
# An immediate case nobody acknowledged within this time is escalated to the supervisors.
DEFAULT_ESCALATE_WITHIN = timedelta(minutes=15)
_UNIT = {
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}


class InvalidPolicy(ValueError):
    """A triage policy in the deployment profile is incomplete or malformed."""


@dataclass(frozen=True)
class Deadlines:
    assign_within: timedelta
    first_contact_within: timedelta


@dataclass(frozen=True)
class RaiseRule:
    """Raise to ``level`` when every answer named in ``when`` has one of the listed values."""

    when: Mapping[str, frozenset[str]]
    level: RiskLevel

    def matches(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(key) in values for key, values in self.when.items())


class TriageResult(NamedTuple):
    level: RiskLevel
    assign_by: datetime
    first_contact_by: datetime


@dataclass(frozen=True)
class TriagePolicy:
    category_levels: Mapping[Category, RiskLevel]
    deadlines: Mapping[RiskLevel, Deadlines]
    raise_rules: tuple[RaiseRule, ...] = field(default=())
    # A new report within this window from the same reporter, or about the same area and
    # category, is linked to the open case for a person to confirm; zero turns it off.
    repeat_window: timedelta = DEFAULT_REPEAT_WINDOW
    escalate_within: timedelta = DEFAULT_ESCALATE_WITHIN

    def __post_init__(self) -> None:
        missing_categories = set(Category) - set(self.category_levels)
        if missing_categories:
            names = ", ".join(sorted(c.value for c in missing_categories))
            raise InvalidPolicy(f"triage: no level for categories: {names}")
        missing_levels = set(RiskLevel) - set(self.deadlines)
        if missing_levels:
            names = ", ".join(sorted(level.value for level in missing_levels))
            raise InvalidPolicy(f"triage: no deadlines for levels: {names}")
        for level, deadline in self.deadlines.items():
            if deadline.assign_within <= timedelta(0) or deadline.first_contact_within <= timedelta(
                0
            ):
                raise InvalidPolicy(f"triage: deadlines for {level.value} must be positive")
        if self.repeat_window < timedelta(0):
            raise InvalidPolicy("triage: repeat_window must not be negative")
        if self.escalate_within <= timedelta(0):
            raise InvalidPolicy("triage: escalate_within must be positive")
        # Freeze the mappings so a shared policy cannot be changed under a running app.
        object.__setattr__(self, "category_levels", MappingProxyType(dict(self.category_levels)))
        object.__setattr__(self, "deadlines", MappingProxyType(dict(self.deadlines)))

    @classmethod
    def default(cls) -> TriagePolicy:
        """The table in docs/product.md. ``labour_trafficking`` is one dialog answer covering
        both labour (medium) and trafficking (high); it is triaged high because triage never
        guesses downwards — a caseworker can lower it with a reason."""
        return cls(
            category_levels={
                Category.PHYSICAL_VIOLENCE: RiskLevel.MEDIUM,
                Category.SEXUAL_ABUSE: RiskLevel.HIGH,
                Category.NEGLECT: RiskLevel.LOW,
                Category.MARRIAGE_FGM: RiskLevel.MEDIUM,
                Category.LABOUR_TRAFFICKING: RiskLevel.HIGH,
                Category.MISSING_SEPARATED: RiskLevel.HIGH,
                Category.ONLINE_ABUSE: RiskLevel.MEDIUM,
                Category.OTHER: RiskLevel.LOW,
            },
            raise_rules=(
                RaiseRule({"danger": frozenset({"yes"})}, RiskLevel.IMMEDIATE),
                RaiseRule(
                    {"category": frozenset({"neglect"}), "age_band": frozenset({"under_5"})},
                    RiskLevel.HIGH,
                ),
            ),
            deadlines={
                RiskLevel.IMMEDIATE: Deadlines(timedelta(minutes=15), timedelta(hours=1)),
                RiskLevel.HIGH: Deadlines(timedelta(hours=1), timedelta(hours=24)),
                RiskLevel.MEDIUM: Deadlines(timedelta(hours=3), timedelta(hours=72)),
                RiskLevel.LOW: Deadlines(timedelta(hours=3), timedelta(days=7)),
            },
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TriagePolicy:
        """A policy from the profile's ``triage:`` section (as loaded by ``yaml.safe_load``)::

            categories: {physical_violence: medium, sexual_abuse: high, ...}  # every category
            raise:
              - when: {danger: yes}
                level: immediate
              - when: {category: neglect, age_band: [under_5]}
                level: high
            deadlines:
              immediate: {assign_within: 15m, first_contact_within: 1h}
              ...                                                          # every level
            repeat_window: 7d                               # optional; 0 turns it off
            escalate_within: 15m                # optional: unacknowledged immediate cases

        Durations are ``<n>m``, ``<n>h``, ``<n>d`` or a number of minutes.
        """
        if not isinstance(data, Mapping):
            raise InvalidPolicy("triage: expected a mapping")
        unknown = set(data) - {
            "categories",
            "raise",
            "deadlines",
            "repeat_window",
            "escalate_within",
        }
        if unknown:
            raise InvalidPolicy(f"triage: unknown keys: {', '.join(sorted(map(str, unknown)))}")
        categories = _mapping(data.get("categories"), "triage.categories")
        category_levels = {
            _member(Category, key, "triage.categories"): _member(
                RiskLevel, value, f"triage.categories.{key}"
            )
            for key, value in categories.items()
        }
        rules = data.get("raise", [])
        if not isinstance(rules, list):
            raise InvalidPolicy("triage.raise: expected a list of rules")
        raise_rules = tuple(_rule(rule, f"triage.raise[{i}]") for i, rule in enumerate(rules))
        deadlines_data = _mapping(data.get("deadlines"), "triage.deadlines")
        deadlines = {
            _member(RiskLevel, key, "triage.deadlines"): _deadlines(
                value, f"triage.deadlines.{key}"
            )
            for key, value in deadlines_data.items()
        }
        repeat_window = (
            parse_duration(data["repeat_window"], "triage.repeat_window")
            if "repeat_window" in data
            else DEFAULT_REPEAT_WINDOW
        )
        escalate_within = (
            parse_duration(data["escalate_within"], "triage.escalate_within")
            if "escalate_within" in data
            else DEFAULT_ESCALATE_WITHIN
        )
        return cls(
            category_levels=category_levels,
            deadlines=deadlines,
            raise_rules=raise_rules,
            repeat_window=repeat_window,
            escalate_within=escalate_within,
        )

    def level_for(self, answers: Mapping[str, str]) -> RiskLevel:
        level = self.category_levels[Category(answers["category"])]
        for rule in self.raise_rules:
            if rule.matches(answers) and rule.level.severity > level.severity:
                level = rule.level
        return level


def triage(
    answers: Mapping[str, str] | Answers, policy: TriagePolicy | None = None, *, now: datetime
) -> TriageResult:
    """The level and deadlines for a report made at ``now`` (a pure function)."""
    policy = policy or TriagePolicy.default()
    parsed = answers if isinstance(answers, Answers) else parse_answers(answers)
    now = as_utc(now, "now")
    level = policy.level_for(parsed.structured())
    deadline = policy.deadlines[level]
    return TriageResult(level, now + deadline.assign_within, now + deadline.first_contact_within)


# Answer keys a raise rule may test, with the values they can take.
RULE_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "danger": frozenset({"yes", "no"}),
        "category": frozenset(c.value for c in Category),
        "age_band": frozenset(a.value for a in AgeBand),
        "sex": frozenset(s.value for s in ChildSex),
        "relationship": frozenset(r.value for r in ReporterRelationship),
    }
)


def _mapping(value: Any, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise InvalidPolicy(f"{where}: expected a mapping")
    return value


def _member(enum: Any, value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidPolicy(f"{where}: {value!r} is not one of: {choices}") from None


def _rule(data: Any, where: str) -> RaiseRule:
    rule = _mapping(data, where)
    if set(rule) != {"when", "level"}:
        raise InvalidPolicy(f"{where}: a rule has exactly 'when' and 'level'")
    when = _mapping(rule["when"], f"{where}.when")
    if not when:
        raise InvalidPolicy(f"{where}.when: a rule needs at least one condition")
    conditions: dict[str, frozenset[str]] = {}
    for key, raw in when.items():
        if key not in RULE_KEYS:
            raise InvalidPolicy(
                f"{where}.when: {key!r} is not one of: {', '.join(sorted(RULE_KEYS))}"
            )
        values = raw if isinstance(raw, list) else [raw]
        # YAML 1.1 reads a bare yes/no as a boolean.
        words = {("yes" if v else "no") if isinstance(v, bool) else str(v) for v in values}
        bad = words - RULE_KEYS[key]
        if not words or bad:
            raise InvalidPolicy(
                f"{where}.when.{key}: {sorted(bad)} not among: {', '.join(sorted(RULE_KEYS[key]))}"
            )
        conditions[key] = frozenset(words)
    return RaiseRule(MappingProxyType(conditions), _member(RiskLevel, rule["level"], where))


def _deadlines(data: Any, where: str) -> Deadlines:
    value = _mapping(data, where)
    if set(value) != {"assign_within", "first_contact_within"}:
        raise InvalidPolicy(f"{where}: needs exactly assign_within and first_contact_within")
    return Deadlines(
        parse_duration(value["assign_within"], f"{where}.assign_within"),
        parse_duration(value["first_contact_within"], f"{where}.first_contact_within"),
    )


def parse_duration(value: Any, where: str) -> timedelta:
    """``15m``, ``3h``, ``7d`` or a whole number of minutes; ``InvalidPolicy`` naming ``where``
    otherwise (the deadline policy reads its windows with it too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(minutes=value)
    match = _DURATION.fullmatch(str(value).strip())
    if not match:
        raise InvalidPolicy(f"{where}: {value!r} is not a duration such as 15m, 3h or 7d")
    return int(match.group(1)) * _UNIT[match.group(2)]
