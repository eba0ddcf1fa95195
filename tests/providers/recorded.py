"""Reading the recorded provider payloads (``tests/fixtures/providers/<provider>/<channel>/``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from gateway.providers.events import InboundSms, StatusUpdate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


def cases(adapter: str) -> list[Any]:
    """Every recorded webhook of one adapter, as pytest params named after their files."""
    files = sorted((FIXTURES / adapter).glob("*.json"))
    loaded = [(path.stem, json.loads(path.read_text("utf-8"))) for path in files]
    return [pytest.param(case, id=name) for name, case in loaded if "kind" in case]


def form(body: str) -> MultiDict[str, str]:
    """The form fields as Flask's ``request.form`` holds them (repeated names kept)."""
    return MultiDict(parse_qsl(body, keep_blank_values=True))


def query(url: str) -> MultiDict[str, str]:
    return MultiDict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def as_dict(event: InboundSms | StatusUpdate) -> dict[str, Any]:
    fields = asdict(event)
    if isinstance(event, InboundSms):
        fields["received_at"] = event.received_at.isoformat()
    else:
        fields["status"] = str(event.status)
    return fields


def assert_matches(event: InboundSms | StatusUpdate, expected: dict[str, Any]) -> None:
    actual = as_dict(event)
    assert {name: actual[name] for name in expected} == expected
