"""Cases opened as a USSD report opens them, for the console and API tests: ``case_maker(app,
phone, prefix)`` gives ``make(area, ...)``, which returns the new case's reference. The
reporter agreed to a call back, so the number is kept; ``assigned_to`` holds the case for that
account from the start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from case_store.operations import open_case
from case_store.report_contract import Report


def case_maker(app: Flask, phone: str, prefix: str) -> Callable[..., str]:
    counter = iter(range(1, 10**6))

    def make(
        area: str = "001",
        *,
        category: str = "neglect",
        danger: str = "no",
        assigned_to: int | None = None,
        phone: str = phone,
        created_at: datetime | None = None,
        consent: bool | None = None,
    ) -> str:
        runtime = app.extensions["kinga"]
        now = created_at or datetime.now(UTC)
        report = Report(
            channel="ussd",
            provider="africastalking",
            external_id=f"{prefix}-{next(counter)}",
            phone=phone,
            language="en",
            answers={
                "danger": danger,
                "category": category,
                "age_band": "5_11",
                "sex": "girl",
                "area": area,
                "place": "behind the water kiosk",
                "relationship": "community",
                "narrative": "The child is left alone at night.",
                "callback": "yes",
                "callback_time": "evening",
            },
            started_at=now,
        )
        with runtime.sessions.begin() as session:
            case = open_case(session, runtime.vault, report, now=now, policy=runtime.triage)
            if assigned_to is not None:
                case.assigned_to_id = assigned_to
                case.assigned_at = now
            case.consent_services = consent
            return case.reference

    return make
