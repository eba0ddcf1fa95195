"""Every response carries the security headers: pages, webhooks, JSON and refusals alike."""

from __future__ import annotations

import pytest
from sms_client import Texter
from ussd_client import Caller

from gateway import SECURITY_HEADERS
from gateway.web import simulator


@pytest.fixture
def responses(app, settings, client):
    simulator.init_app(app, settings)
    return {
        "page": client.get("/simulator"),
        "ussd": Caller(client).post(""),
        "twiml": Texter(client, "twilio").send("HELP"),
        "json": client.get("/healthz"),
        "forbidden": client.post("/ussd/africastalking?key=wrong", data={}),
        "not found": client.get("/nowhere"),
        "wrong method": client.get("/ussd/africastalking"),
        "too large": client.post(Caller(client).url, data={"text": "1" * 100_000}),
    }


def test_every_response_carries_the_security_headers(responses):
    expected = [200, 200, 200, 200, 403, 404, 405, 413]
    assert [r.status_code for r in responses.values()] == expected
    for name, response in responses.items():
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)


def test_the_policy_is_strict(responses):
    policy = responses["page"].headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert all("unsafe" not in source and "*" not in source for source in directives.values())
    headers = responses["page"].headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
