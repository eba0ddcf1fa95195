"""The fixed Kenyan context the dialog tests run with.

The 47 counties with their official codes (001 Mombasa … 047 Nairobi) are the same list the
example deployment ships in ``deployments/example/locations.yaml``.
"""

from __future__ import annotations

from dialogs.engine import Area, Context

KENYA_COUNTIES = (
    "Mombasa", "Kwale", "Kilifi", "Tana River", "Lamu", "Taita-Taveta", "Garissa", "Wajir",
    "Mandera", "Marsabit", "Isiolo", "Meru", "Tharaka-Nithi", "Embu", "Kitui", "Machakos",
    "Makueni", "Nyandarua", "Nyeri", "Kirinyaga", "Murang'a", "Kiambu", "Turkana", "West Pokot",
    "Samburu", "Trans Nzoia", "Uasin Gishu", "Elgeyo-Marakwet", "Nandi", "Baringo", "Laikipia",
    "Nakuru", "Narok", "Kajiado", "Kericho", "Bomet", "Kakamega", "Vihiga", "Bungoma", "Busia",
    "Siaya", "Kisumu", "Homa Bay", "Migori", "Kisii", "Nyamira", "Nairobi",
)  # fmt: skip
COUNTIES = tuple(Area(f"{n:03d}", name) for n, name in enumerate(KENYA_COUNTIES, start=1))
EMERGENCY = {"child_helpline": "116", "police": "999"}
SHIPPED_LANGUAGES = ("en", "sw", "fr", "ar", "pt")


def kenya(language: str = "en", **overrides: object) -> Context:
    values: dict[str, object] = {
        "areas": COUNTIES,
        "emergency_numbers": EMERGENCY,
        "language": language,
    }
    values.update(overrides)
    return Context(**values)  # type: ignore[arg-type]
