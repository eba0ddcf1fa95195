"""The issue's "done when", end to end with KINGA_PRIMERO_URL set: a report made on a basic
phone (USSD) appears in Primero once, with the right lookups, and a status change made in
Primero reaches the reporter, who agreed to updates, as a neutral SMS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from primero_cases import WEBHOOK_KEY
from sqlalchemy import select

from case_store.models import Case, Message
from case_store.references import format_reference
from workers.follow_ups import run_follow_ups

PHONE = "+254712345777"
# Report → not in danger now → neglect → 5-11 → girl → Mombasa → place → neighbour →
# narrative → no call-back → yes to SMS updates → send.
ANSWERS = ["1", "2", "3", "2", "1", "Mombasa", "Kibera", "3", "She is alone at night"]
ANSWERS += ["2", "1", "1"]


def report_by_ussd(client, key: str) -> str:
    typed: list[str] = []
    screen = ""
    for answer in ["", *ANSWERS]:
        if answer:
            typed.append(answer)
        response = client.post(
            f"/ussd/africastalking?key={key}",
            data={
                "sessionId": "ATUid_done_when",
                "serviceCode": "*384*116#",
                "phoneNumber": PHONE,
                "networkCode": "63902",
                "text": "*".join(typed),
            },
        )
        assert response.status_code == 200
        screen = response.get_data(as_text=True)
    assert screen.startswith("END Thank you."), screen
    return screen


def test_a_ussd_report_reaches_primero_once_and_its_closing_reaches_the_reporter(
    primero_app, primero_client, primero_runner, rt, fake_primero, db
):
    report_by_ussd(primero_client, rt.settings.at_webhook_key)
    assert primero_runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert primero_runner.invoke(args=["worker", "--burst"]).exit_code == 0  # nothing more

    with rt.sessions() as session:
        case = session.scalars(select(Case)).one()
    ((record_id, record),) = fake_primero.records.items()
    assert record_id == case.primero_id
    assert record["protection_concerns"] == ["living_with_vulnerable_person"]
    assert record["risk_level"] == case.risk_level.value
    assert record["location_current"] == "001"  # Mombasa
    assert record["sex"] == "female"
    assert "telephone_current" not in record  # updates by SMS are not a call back
    assert len(fake_primero.requests_to("POST")) == 1

    closed = {"event": "case.update", "data": {"id": record_id, "status": "closed"}}
    headers = {"x-api-key": WEBHOOK_KEY}
    for _ in range(2):  # Primero's webhook, and a replay of it
        response = primero_client.post("/primero/webhook", json=closed, headers=headers)
        assert response.status_code == 204
    profile = replace(rt.profile, follow_up_quiet_hours=None)  # the real clock: any hour
    for _ in range(2):
        run_follow_ups(
            rt.sessions,
            rt.redis,
            rt.vault,
            profile=profile,
            max_segments=rt.settings.sms_max_segments,
            now=datetime.now(UTC),
        )

    with rt.sessions() as session:
        to_reporter = session.scalars(
            select(Message)
            .where(Message.phone_hash == rt.vault.phone_hash(PHONE), Message.purpose == "follow_up")
            .order_by(Message.id)
        ).all()
        texts = [rt.vault.decrypt(m.body_encrypted) for m in to_reporter]
    reference = format_reference(case.reference)
    assert texts == [f"Your reference {reference} was updated. Dial *384*116# for details."]
