"""The fixed Kenyan context the dialog tests run with.

The 47 counties with their official codes (001 Mombasa … 047 Nairobi), their Arabic names and
aliases, and the most used areas, read from the example deployment's
``deployments/example/locations.yaml``: the dialogs are tested on the data Kinga ships. As in
that deployment, French and Portuguese are folded to GSM-7 (``garçon → garcon``,
``criança → crianca``; ``é``, ``è`` and ``à`` are GSM-7 and stay).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dialogs.engine import Area, Context

LOCATIONS = Path(__file__).resolve().parents[2] / "deployments" / "example" / "locations.yaml"
_DATA = yaml.safe_load(LOCATIONS.read_text(encoding="utf-8"))
COUNTIES = tuple(
    Area(
        entry["code"],
        entry["name"],
        tuple((entry.get("names") or {}).items()),
        tuple(entry.get("aliases") or ()),
    )
    for entry in _DATA["locations"]
)
MOST_USED = tuple(_DATA["most_used"])  # Nairobi, Mombasa, Kisumu, Nakuru
EMERGENCY = {"child_helpline": "116", "police": "999"}
SHIPPED_LANGUAGES = ("en", "sw", "fr", "ar", "pt")
FOLDED = ("fr", "pt")


def kenya(language: str = "en", **overrides: object) -> Context:
    values: dict[str, object] = {
        "areas": COUNTIES,
        "emergency_numbers": EMERGENCY,
        "language": language,
        "most_used": MOST_USED,
        "fold_accents": language in FOLDED,
    }
    values.update(overrides)
    return Context(**values)  # type: ignore[arg-type]
