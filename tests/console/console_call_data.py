"""A hotline call as an agent types it, and the roster that answers its alert."""

from __future__ import annotations

from typing import Any

CALLER = "+254700000009"
CASEWORKER_PHONE = "+254700111001"
MOMBASA = "001"
NAIROBI = "047"
NARRATIVE = "She sleeps alone at the market at night"
PLACE = "Kongowea"

# Sexual abuse: triaged high by the example profile.
HIGH_CASE: dict[str, Any] = {
    "outcome": "new_case",
    "phone": CALLER,
    "direction": "inbound",
    "language": "en",
    "danger": "no",
    "category": "sexual_abuse",
    "age_band": "12_14",
    "sex": "girl",
    "area": "Mombasa",
    "place": PLACE,
    "relationship": "community",
    "narrative": NARRATIVE,
    "consent_services": "yes",
    "consent_share": "no",
    "callback": "evening",
}
# A USSD reporter who agreed to a call back (their number is kept, encrypted).
REPORTER = "+254712345321"
