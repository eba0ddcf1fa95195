"""Concern categories mapped to Primero protection concerns and Child Helpline International
(CHI) top-level categories, so exports and sync need no hand mapping.

The mapping is data in the deployment profile (``categories:``); ``mappings_from_profile``
checks it covers every category with ids from the vocabularies below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from case_store.enums import Category

# Primero v2's default ``protection_concerns`` lookup ids.
PRIMERO_PROTECTION_CONCERNS = frozenset(
    {
        "sexually_exploited",
        "gbv_survivor",
        "trafficked_smuggled",
        "statelessness",
        "arrested_detained",
        "migrant",
        "disabled",
        "serious_health_issue",
        "refugee",
        "caafag",
        "street_child",
        "child_mother",
        "physically_or_mentally_abused",
        "living_with_vulnerable_person",
        "worst_forms_of_child_labor",
        "child_headed_household",
        "mentally_distressed",
        "other",
    }
)

# CHI's category of a contact about no case (silent, information only, a prank …): counted by
# its disposition, whatever the profile maps the concern categories to.
NON_COUNSELLING = "non_counselling_contacts"

# CHI's top-level contact categories, as snake_case ids.
CHI_CATEGORIES = frozenset(
    {
        "missing_children",
        "violence",
        "mental_health",
        "physical_health",
        "access_to_services",
        "discrimination_and_exclusion",
        "family_relationships",
        "peer_relationships",
        "education_and_occupation",
        "sexuality",
        NON_COUNSELLING,
    }
)


class InvalidCategoryMapping(ValueError):
    """The profile's ``categories:`` section is incomplete or names unknown ids."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class CategoryMapping:
    primero_protection_concerns: tuple[str, ...]
    chi_category: str


def mappings_from_profile(data: Any) -> Mapping[Category, CategoryMapping]:
    """Parse ``categories: {<category>: {primero: [ids], chi: id}}``; every category needed."""
    if not isinstance(data, Mapping):
        raise InvalidCategoryMapping(["categories: expected a mapping"])
    problems: list[str] = []
    result: dict[Category, CategoryMapping] = {}
    seen: set[Category] = set()
    for key, entry in data.items():
        where = f"categories.{key}"
        try:
            category = Category(key)
        except ValueError:
            problems.append(f"{where}: not a concern category")
            continue
        seen.add(category)
        if not isinstance(entry, Mapping) or set(entry) != {"primero", "chi"}:
            problems.append(f"{where}: needs exactly 'primero' (a list) and 'chi'")
            continue
        primero = entry["primero"]
        if not isinstance(primero, list) or not primero:
            problems.append(f"{where}.primero: expected a non-empty list of ids")
            continue
        unknown = sorted(str(p) for p in primero if p not in PRIMERO_PROTECTION_CONCERNS)
        if unknown:
            problems.append(f"{where}.primero: unknown protection concern ids {unknown}")
        if entry["chi"] not in CHI_CATEGORIES:
            problems.append(f"{where}.chi: {entry['chi']!r} is not a CHI top-level category")
        result[category] = CategoryMapping(tuple(str(p) for p in primero), str(entry["chi"]))
    missing = sorted(c.value for c in set(Category) - seen)
    if missing:
        problems.append(f"categories: no mapping for {', '.join(missing)}")
    if problems:
        raise InvalidCategoryMapping(problems)
    return MappingProxyType(result)
