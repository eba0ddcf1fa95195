"""Triage: the docs/product.md table, deadlines, and policies read from a profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from case_store_factories import answers

from case_store.enums import Category, RiskLevel
from case_store.report_contract import InvalidReport
from case_store.triage import InvalidPolicy, TriagePolicy, triage

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

PROFILE_YAML = """
categories:
  physical_violence: medium
  sexual_abuse: high
  neglect: low
  marriage_fgm: medium
  labour_trafficking: high
  missing_separated: high
  online_abuse: medium
  other: low
raise:
  - when: {danger: yes}
    level: immediate
  - when: {category: neglect, age_band: [under_5]}
    level: high
deadlines:
  immediate: {assign_within: 15m, first_contact_within: 1h}
  high: {assign_within: 1h, first_contact_within: 24h}
  medium: {assign_within: 3h, first_contact_within: 72h}
  low: {assign_within: 180, first_contact_within: 7d}
"""


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"danger": "yes", "category": "other"}, RiskLevel.IMMEDIATE),
        ({"danger": "yes", "category": "sexual_abuse"}, RiskLevel.IMMEDIATE),
        ({"danger": "yes", "category": "neglect", "age_band": "under_5"}, RiskLevel.IMMEDIATE),
        ({"category": "sexual_abuse"}, RiskLevel.HIGH),
        ({"category": "labour_trafficking"}, RiskLevel.HIGH),
        ({"category": "missing_separated"}, RiskLevel.HIGH),
        ({"category": "neglect", "age_band": "under_5"}, RiskLevel.HIGH),
        ({"category": "neglect", "age_band": "5_11"}, RiskLevel.LOW),
        ({"category": "neglect", "age_band": "unknown"}, RiskLevel.LOW),
        ({"category": "physical_violence"}, RiskLevel.MEDIUM),
        ({"category": "marriage_fgm"}, RiskLevel.MEDIUM),
        ({"category": "online_abuse"}, RiskLevel.MEDIUM),
        ({"category": "physical_violence", "age_band": "under_5"}, RiskLevel.MEDIUM),
        ({"category": "other"}, RiskLevel.LOW),
        ({"category": "other", "age_band": "under_5"}, RiskLevel.LOW),
    ],
)
def test_default_levels(changes: dict[str, str], level: RiskLevel) -> None:
    assert triage(answers(**changes), TriagePolicy.default(), now=NOW).level is level


@pytest.mark.parametrize(
    ("changes", "assign_within", "first_contact_within"),
    [
        ({"danger": "yes"}, 15 * MIN, 1 * HOUR),
        ({"category": "sexual_abuse"}, 1 * HOUR, 24 * HOUR),
        ({"category": "online_abuse"}, 3 * HOUR, 72 * HOUR),
        ({"category": "other"}, 3 * HOUR, 7 * DAY),
    ],
)
def test_default_deadlines(
    changes: dict[str, str], assign_within: timedelta, first_contact_within: timedelta
) -> None:
    _level, assign_by, first_contact_by = triage(answers(**changes), now=NOW)
    assert (assign_by - NOW, first_contact_by - NOW) == (assign_within, first_contact_within)


def test_deadlines_are_utc_whatever_the_clock_zone() -> None:
    nairobi = timezone(timedelta(hours=3))
    result = triage(answers(category="other"), now=NOW.astimezone(nairobi))
    assert result.assign_by == NOW + 3 * HOUR
    assert result.assign_by.utcoffset() == timedelta(0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        triage(answers(), now=datetime(2026, 3, 2, 9, 30))


def test_invalid_answers_are_refused() -> None:
    with pytest.raises(InvalidReport):
        triage(answers(category="bullying"), now=NOW)


def test_profile_yaml_gives_the_default_policy() -> None:
    policy = TriagePolicy.from_mapping(yaml.safe_load(PROFILE_YAML))
    default = TriagePolicy.default()
    assert dict(policy.category_levels) == dict(default.category_levels)
    assert dict(policy.deadlines) == dict(default.deadlines)
    assert policy.raise_rules == default.raise_rules


def test_profile_can_change_levels_and_deadlines() -> None:
    data = yaml.safe_load(PROFILE_YAML)
    data["categories"]["online_abuse"] = "high"
    data["deadlines"]["high"] = {"assign_within": "30m", "first_contact_within": "12h"}
    data["raise"].append({"when": {"relationship": "child"}, "level": "high"})
    policy = TriagePolicy.from_mapping(data)
    result = triage(answers(category="online_abuse"), policy, now=NOW)
    assert result == (RiskLevel.HIGH, NOW + 30 * MIN, NOW + 12 * HOUR)
    child_reports = answers(category="other", relationship="child")
    assert triage(child_reports, policy, now=NOW).level is RiskLevel.HIGH


def test_policy_cannot_be_changed_after_loading() -> None:
    policy = TriagePolicy.default()
    with pytest.raises(TypeError):
        policy.category_levels[Category.OTHER] = RiskLevel.HIGH  # type: ignore[index]


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    data = yaml.safe_load(PROFILE_YAML)
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


def _with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = yaml.safe_load(PROFILE_YAML)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_without(("categories", "online_abuse")), "no level for categories: online_abuse"),
        (_without(("deadlines", "low")), "no deadlines for levels: low"),
        (_with(("categories", "neglect"), "urgent"), "triage.categories.neglect"),
        (_with(("categories", "bullying"), "low"), "triage.categories"),
        (_with(("deadlines", "high", "assign_within"), "soon"), "high.assign_within"),
        (_with(("deadlines", "high", "assign_within"), "0m"), "must be positive"),
        (_with(("deadlines", "high"), {"assign_within": "1h"}), "triage.deadlines.high"),
        (_with(("raise", 0, "when"), {"mood": "bad"}), "triage.raise[0].when"),
        (_with(("raise", 0, "when"), {"danger": "maybe"}), "triage.raise[0].when.danger"),
        (_with(("raise", 0, "when"), {}), "at least one condition"),
        (_with(("raise", 0, "level"), "critical"), "triage.raise[0]"),
        (_with(("raise",), {"danger": "yes"}), "triage.raise"),
        (_with(("extra",), 1), "unknown keys: extra"),
        ([], "expected a mapping"),
    ],
)
def test_malformed_profiles_are_refused_with_the_place(data: Any, message: str) -> None:
    with pytest.raises(InvalidPolicy) as raised:
        TriagePolicy.from_mapping(data)
    assert message in str(raised.value)
