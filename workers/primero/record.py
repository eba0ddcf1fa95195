"""A case as the Primero record the sync sends: our fields under the profile's field names.

Only what the field map names is sent, plus ``module_id`` (and ``id`` on create). Free text
(the narrative) is decrypted only here, for the request; the reporter's phone goes only when
they agreed to be called back (``callback_consent``) and the number is still kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from case_store.categories import CategoryMapping
from case_store.crypto import Vault
from case_store.enums import CaseStatus, Category, ChildSex
from case_store.models import Case
from case_store.primero import FieldMap, risk_level

SEXES = {ChildSex.GIRL: "female", ChildSex.BOY: "male"}  # unknown: not sent


def primero_record(
    case: Case,
    fields: FieldMap,
    categories: Mapping[Category, CategoryMapping],
    vault: Vault,
    *,
    module_id: str,
    create: bool,
) -> dict[str, Any]:
    """The ``data`` of the request for ``case``; with its ``id`` when ``create``."""
    values = _values(case, categories, vault)
    record: dict[str, Any] = {"module_id": module_id}
    if create:
        record["id"] = case.primero_id
    for ours, theirs in fields.fields.items():
        if ours == "created_at" and not create:
            continue
        value = values.get(ours)
        if value is not None:
            record[theirs] = value
    return record


def _values(
    case: Case, categories: Mapping[Category, CategoryMapping], vault: Vault
) -> dict[str, Any]:
    mapping = categories.get(case.category)
    reporter = case.reporter
    phone = None
    if case.callback_consent and reporter is not None and reporter.phone_encrypted is not None:
        phone = vault.decrypt(reporter.phone_encrypted)
    return {
        "created_at": case.created_at.isoformat(),
        "risk_level": risk_level(case.risk_level),
        "urgent_protection_concern": case.immediate_danger,
        "protection_concerns": list(mapping.primero_protection_concerns) if mapping else None,
        "sex": SEXES.get(case.child_sex),
        "age": case.child_age_years,
        "location": case.location_code,
        "consent_services": case.consent_services,
        "consent_share": case.consent_share,
        "narrative": (
            vault.decrypt(case.narrative_encrypted)
            if case.narrative_encrypted is not None
            else None
        ),
        "reporter_phone": phone,
        "status": "closed" if case.status is CaseStatus.CLOSED else "open",
    }
