"""Reporters texting Kinga through Twilio and Africa's Talking, over the Flask test client.

Twilio requests are signed the way Twilio signs them (the SDK's ``RequestValidator`` over the
public URL and every field); Africa's Talking requests carry the webhook key.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from case_store.enums import Direction
from case_store.models import Message

PHONE = "+254712345321"
PUBLIC_URL = "https://kinga.example.org"
TWILIO_TOKEN = "twilio-webhook-test-token"
AT_KEY = "test-webhook-key"
FIXTURES_DIR = "tests/fixtures/providers"

# REPORT → not in danger → neglect → 5-11 → girl → Mombasa → place → neighbour → narrative
# → no call-back → no SMS updates → send.
REPORT_ANSWERS = [
    "REPORT",
    "2",
    "3",
    "2",
    "1",
    "Mombasa",
    "Kibera",
    "3",
    "She is alone at night",
    "2",
    "2",
    "1",
]

_ids = itertools.count(1)


def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def post_twilio(
    client: FlaskClient, path: str, params: dict[str, str], *, token: str = TWILIO_TOKEN
) -> TestResponse:
    signature = twilio_signature(PUBLIC_URL + path, params, token)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def replay(client: FlaskClient, case: dict[str, Any]) -> TestResponse:
    """A recorded webhook, posted exactly as recorded."""
    parts = urlsplit(case["url"])
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(
        path,
        data=case["body"].encode("utf-8"),
        headers={k: v for k, v in case["headers"].items() if k != "Content-Type"},
        content_type=case["headers"]["Content-Type"],
    )


def load_fixture(adapter: str, name: str) -> dict[str, Any]:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "fixtures" / "providers"
    data: dict[str, Any] = json.loads((root / adapter / f"{name}.json").read_text("utf-8"))
    return data


@dataclass
class Texter:
    """One phone texting Kinga through one provider."""

    client: FlaskClient
    provider: str = "twilio"
    phone: str = PHONE
    sent: list[str] = field(default_factory=list)  # provider ids of what this phone sent

    def send(self, text: str, provider_id: str | None = None) -> TestResponse:
        provider_id = provider_id or self._next_id()
        self.sent.append(provider_id)
        if self.provider == "twilio":
            params = {
                "MessageSid": provider_id,
                "SmsSid": provider_id,
                "AccountSid": "AC" + "0f1e" * 8,
                "From": self.phone,
                "To": "+15005550006",
                "Body": text,
                "NumMedia": "0",
                "NumSegments": "1",
                "ApiVersion": "2010-04-01",
            }
            return post_twilio(self.client, "/sms/twilio/inbound", params)
        return self.client.post(
            f"/sms/africastalking/inbound?key={AT_KEY}",
            data={
                "from": self.phone,
                "to": "40404",
                "text": text,
                "date": "2026-03-02 09:30:00",
                "id": provider_id,
                "networkCode": "63902",
            },
        )

    def _next_id(self) -> str:
        n = next(_ids)
        return f"SM{n:032x}" if self.provider == "twilio" else f"ATXid_{n:032x}"


def outbound(db: sessionmaker[Session]) -> list[Message]:
    """Outbound messages, oldest first, with their timelines loaded."""
    with db() as session:
        rows = list(
            session.scalars(
                select(Message)
                .where(Message.direction == Direction.OUTBOUND)
                .order_by(Message.created_at, Message.id)
            )
        )
        for row in rows:
            _ = list(row.timeline), row.case
        return rows


def inbound(db: sessionmaker[Session]) -> list[Message]:
    with db() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.direction == Direction.INBOUND)
                .order_by(Message.created_at, Message.id)
            )
        )


def texts(app: Any, messages: list[Message]) -> list[str]:
    """The decrypted bodies, for asserting what a reporter is sent."""
    vault = app.extensions["kinga"].vault
    return [vault.decrypt(m.body_encrypted) for m in messages if m.body_encrypted is not None]
