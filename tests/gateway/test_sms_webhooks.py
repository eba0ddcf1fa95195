"""The SMS webhooks of the installed providers, beyond the contract every adapter passes
(``tests/providers/test_adapter_contract.py`` replays the recorded payloads): Twilio's answer
and signed URL, size limits, methods, and dates and bodies that must still be answered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sms_client import inbound, load_fixture, outbound, replay, texts
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from case_store.columns import as_utc
from case_store.models import InboundReceipt, Message, MessageEvent, OutboxRow


def counts(db: sessionmaker[Session]) -> dict[str, int]:
    with db() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Message, MessageEvent, InboundReceipt, OutboxRow)
        }


def test_twilio_inbound_answers_empty_twiml(client) -> None:
    response = replay(client, load_fixture("twilio/sms", "inbound_valid"))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True).replace(" ", "") in (
        '<?xmlversion="1.0"encoding="UTF-8"?><Response/>',
        '<?xmlversion="1.0"encoding="UTF-8"?><Response/>\n',
    )


def test_twilio_signature_must_cover_the_public_url_not_the_host_called(client, db) -> None:
    case = load_fixture("twilio/sms", "inbound_valid")
    before = counts(db)
    response = client.post(
        "/sms/twilio/inbound",
        base_url="http://10.0.0.7:8000",  # the proxy's internal address: still verified
        data=case["body"].encode(),
        headers={"X-Twilio-Signature": case["headers"]["X-Twilio-Signature"]},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert counts(db)["InboundReceipt"] == before["InboundReceipt"] + 1


def test_twilio_webhooks_are_refused_without_an_auth_token(app, client, db) -> None:
    from dataclasses import replace

    runtime = app.extensions["kinga"]
    runtime.settings = replace(runtime.settings, twilio_auth_token="")
    before = counts(db)
    response = replay(client, load_fixture("twilio/sms", "inbound_valid"))
    assert response.status_code == 403
    assert counts(db) == before


def test_a_body_over_the_size_limit_is_refused_before_anything_is_read(client, db) -> None:
    before = counts(db)
    response = client.post(
        "/sms/africastalking/inbound?key=test-webhook-key",
        data={
            "from": "+254712345321",
            "to": "40404",
            "id": "ATXid_big",
            "date": "2026-03-02",
            "text": "a" * 70_000,
        },
    )
    assert response.status_code == 413
    assert counts(db) == before


@pytest.mark.parametrize(
    "path",
    [
        "/sms/twilio/inbound",
        "/sms/twilio/status",
        "/sms/africastalking/inbound",
        "/sms/africastalking/delivery",
    ],
)
def test_only_post_is_accepted(client, path: str) -> None:
    assert client.get(path).status_code == 405


def test_the_twilio_sender_asks_for_the_status_callback_on_this_route(app) -> None:
    from gateway.providers.twilio.sms import STATUS_PATH

    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert STATUS_PATH in routes


@pytest.mark.parametrize(
    "date",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "05/03/2024 10:15", "", None],
)
def test_an_africastalking_sms_with_an_unusable_date_is_kept_and_timed_at_receipt(
    app, client, db, date, caplog
) -> None:
    form = {"from": "+254712345321", "to": "40404", "text": "REPORT", "id": "ATXid_dated"}
    if date is not None:
        form["date"] = date
    before = datetime.now(UTC)
    response = client.post("/sms/africastalking/inbound?key=test-webhook-key", data=form)
    after = datetime.now(UTC)

    assert response.status_code == 200, response.get_data(as_text=True)
    (message,) = inbound(db)
    assert before <= as_utc(message.created_at, "created_at") <= after
    assert len(outbound(db)) == 1  # and it is answered like any other
    assert "timed at receipt" in caplog.text


def test_a_twilio_mms_without_body_is_an_empty_text_and_gets_an_answer(app, client, db) -> None:
    response = replay(client, load_fixture("twilio/sms", "inbound_mms_without_body"))

    assert response.status_code == 200, response.get_data(as_text=True)
    (message,) = inbound(db)
    assert texts(app, [message]) == [""]
    assert texts(app, outbound(db))[0].startswith("Welcome to Kinga")
