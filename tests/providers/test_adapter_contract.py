"""The contract every SMS provider adapter passes, replayed through the Flask app.

Parametrised over the installed SMS providers that have webhooks, and over a toy provider
written below as a new provider would be: one folder-like module and one line. Each provider
brings recorded payloads (``tests/fixtures/providers/<provider>/sms/``, the toy's inline) that
cover at least: a valid inbound message, a byte-identical replay of it, a request that fails
the signature or key check, a payload that cannot be read, and a receipt in a status the adapter
does not know. Whatever the provider:

- signed or keyed correctly and valid → 200, and an inbound message is recorded once;
- failing the check → 403, and nothing stored; unreadable → 400 with the reason, nothing stored;
- a replay → the same answer, and nothing new stored or queued;
- a receipt for no message of ours, in any status → 200 and nothing changed;
- its sender is built from the settings through its ``Provider`` record.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Blueprint, Flask, Response, request
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from case_store.models import InboundReceipt, Message, MessageEvent, OutboxRow
from gateway import create_app
from gateway.channels.sms import intake as sms_intake
from gateway.config.settings import Settings
from gateway.providers import webhooks
from gateway.providers.events import (
    MAX_BODY,
    InboundSms,
    InvalidPayload,
    MessageStatus,
    StatusUpdate,
    phone,
    required,
)
from gateway.providers.installed import INSTALLED, build_senders
from gateway.providers.provider import Provider
from gateway.runtime import runtime
from workers.sms.provider_api import OutboundSms, SendResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


# ---- gateway/providers/toy/sms.py: everything a new SMS provider writes ----------------------

TOY = "toy"
TOY_KEY_HEADER = "X-Toy-Key"
TOY_KEY = "toy-webhook-key"  # a real provider reads its secret from a KINGA_* setting
TOY_STATUSES = {"ok": MessageStatus.DELIVERED, "lost": MessageStatus.FAILED}


def toy_verify(headers: Mapping[str, str], key: str) -> bool:
    return hmac.compare_digest(headers.get(TOY_KEY_HEADER, "").encode(), key.encode())


def toy_parse_inbound(form: Mapping[str, str]) -> InboundSms:
    text = form.get("message")
    if text is None:
        raise InvalidPayload("message is required")
    if len(text) > MAX_BODY:
        raise InvalidPayload(f"message is longer than {MAX_BODY} characters")
    return InboundSms(
        provider=TOY,
        provider_id=required(form, "ref"),
        sender=phone(form, "msisdn"),
        recipient=required(form, "shortcode"),
        text=text,
        received_at=datetime.now(UTC),
    )


def toy_parse_status(form: Mapping[str, str]) -> StatusUpdate:
    word = required(form, "state")
    return StatusUpdate(
        provider=TOY,
        provider_id=required(form, "ref"),
        our_id=None,
        status=TOY_STATUSES.get(word, MessageStatus.UNKNOWN),
        provider_status=word,
    )


toy_bp = Blueprint("toy_sms", __name__, url_prefix="/sms/toy")


@toy_bp.post("/inbound")
def toy_inbound() -> Response:
    webhooks.refuse_unless(toy_verify(request.headers, TOY_KEY), TOY, "bad or missing key")
    sms = webhooks.parsed(lambda: toy_parse_inbound(request.form))
    webhooks.handled(lambda: sms_intake.receive(runtime(), sms))
    return Response("", 204)


@toy_bp.post("/status")
def toy_status() -> Response:
    webhooks.refuse_unless(toy_verify(request.headers, TOY_KEY), TOY, "bad or missing key")
    update = webhooks.parsed(lambda: toy_parse_status(request.form))
    webhooks.handled(lambda: sms_intake.apply_receipt(runtime(), update))
    return Response("", 204)


class ToySender:
    name = TOY

    def send(self, sms: OutboundSms) -> SendResult:
        return SendResult(TOY, f"toy-{sms.public_id}", MessageStatus.QUEUED)


TOY_PROVIDER = Provider(name=TOY, channel="sms", blueprint=toy_bp, sender=lambda _s: ToySender())

# ---- and the one line a new provider adds to gateway/providers/installed.py -----------------

WITH_TOY: tuple[Provider, ...] = (*INSTALLED, TOY_PROVIDER)

# ----------------------------------------------------------------------------------------------


def toy_case(kind: str, path: str, form: dict[str, str], *, key: str = TOY_KEY, **expect: Any):
    return {
        "kind": kind,
        "url": f"https://kinga.example.org/sms/toy/{path}",
        "headers": {"Content-Type": "application/x-www-form-urlencoded", TOY_KEY_HEADER: key},
        "body": urlencode(form),
        "expect": {"verified": key == TOY_KEY, **expect},
    }


TOY_MESSAGE = {"ref": "toy-1", "msisdn": "+254711000123", "shortcode": "40404", "message": "Hi"}
TOY_CASES = {
    "inbound_valid": toy_case("inbound", "inbound", TOY_MESSAGE),
    "inbound_duplicate": toy_case("inbound", "inbound", TOY_MESSAGE),
    "inbound_wrong_key": toy_case("inbound", "inbound", TOY_MESSAGE, key="guess"),
    "inbound_missing_from": toy_case(
        "inbound",
        "inbound",
        {"ref": "toy-2", "shortcode": "40404", "message": "Hi"},
        invalid="msisdn is required",
    ),
    "status_unknown": toy_case(
        "status", "status", {"ref": "toy-9", "state": "teleported"}, event={"status": "unknown"}
    ),
}


def recorded(provider: Provider) -> dict[str, dict[str, Any]]:
    if provider is TOY_PROVIDER:
        return TOY_CASES
    files = sorted((FIXTURES / provider.name / provider.channel).glob("*.json"))
    loaded = {path.stem: json.loads(path.read_text("utf-8")) for path in files}
    return {name: case for name, case in loaded.items() if "kind" in case}


CONTRACT = [p for p in WITH_TOY if p.channel == "sms" and p.blueprint is not None]
CASES = [
    pytest.param(provider, case, id=f"{provider.name}/{name}")
    for provider in CONTRACT
    for name, case in recorded(provider).items()
]


def ids(provider: Provider) -> str:
    return provider.name


@pytest.fixture
def contract_app(settings: Settings, db: sessionmaker[Session], redis_client: Any) -> Flask:
    app = create_app(settings, providers=WITH_TOY)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(contract_app: Flask) -> FlaskClient:
    return contract_app.test_client()


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


def counts(db: sessionmaker[Session]) -> dict[str, int]:
    with db() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Message, MessageEvent, InboundReceipt, OutboxRow)
        }


def expected_status(case: dict[str, Any]) -> int:
    if not case["expect"]["verified"]:
        return 403
    if "invalid" in case["expect"]:
        return 400
    return 200


def duplicates(cases: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of valid inbound cases posted byte for byte alike: a replay of the first."""
    seen: dict[tuple[str, str], str] = {}
    pairs = []
    for name, case in cases.items():
        if case["kind"] != "inbound" or expected_status(case) != 200:
            continue
        key = (case["url"], case["body"])
        if key in seen:
            pairs.append((seen[key], name))
        seen.setdefault(key, name)
    return pairs


@pytest.mark.parametrize("provider", CONTRACT, ids=ids)
def test_the_recorded_payloads_cover_the_contract(provider: Provider) -> None:
    cases = recorded(provider).values()
    assert any(c["kind"] == "inbound" and expected_status(c) == 200 for c in cases)
    assert any(expected_status(c) == 403 for c in cases), "no request failing the check"
    assert any(expected_status(c) == 400 for c in cases), "no unreadable payload"
    assert any(
        c["kind"] == "status" and c["expect"].get("event", {}).get("status") == "unknown"
        for c in cases
    ), "no receipt in a status the adapter does not know"
    assert duplicates(recorded(provider)), "no replayed inbound message"


@pytest.mark.parametrize(("provider", "case"), CASES)
def test_a_recorded_webhook_is_answered_and_stored_as_the_contract_says(
    client: FlaskClient, db: sessionmaker[Session], provider: Provider, case: dict[str, Any]
) -> None:
    before = counts(db)
    response = replay(client, case)
    body = response.get_data(as_text=True)

    expected = expected_status(case)
    if expected == 200:
        assert 200 <= response.status_code < 300, body
    else:
        assert response.status_code == expected, body
    after = counts(db)
    if expected != 200:
        assert after == before, "a refused webhook changed something"
        if expected == 400:
            assert case["expect"]["invalid"] in body
        assert "+2547" not in body
    elif case["kind"] == "inbound":
        assert after["InboundReceipt"] == before["InboundReceipt"] + 1
        assert after["Message"] > before["Message"]
    else:
        assert after == before, "a receipt for no message of ours changed something"


@pytest.mark.parametrize("provider", CONTRACT, ids=ids)
def test_a_replayed_inbound_webhook_gets_the_same_answer_and_changes_nothing(
    client: FlaskClient, db: sessionmaker[Session], redis_client: Any, provider: Provider
) -> None:
    cases = recorded(provider)
    for first, again in duplicates(cases):
        one = replay(client, cases[first])
        assert one.status_code < 300
        stored = counts(db)
        queued = redis_client.llen("rq:queue:default")
        two = replay(client, cases[again])
        assert (two.status_code, two.get_data(), two.content_type) == (
            one.status_code,
            one.get_data(),
            one.content_type,
        )
        assert counts(db) == stored
        assert redis_client.llen("rq:queue:default") == queued


def test_a_toy_provider_is_one_module_and_one_line(settings: Settings) -> None:
    from dataclasses import replace

    assert TOY_PROVIDER not in INSTALLED
    (sender,) = build_senders(replace(settings, sms_providers=(TOY,)), WITH_TOY)
    assert isinstance(sender, ToySender)
