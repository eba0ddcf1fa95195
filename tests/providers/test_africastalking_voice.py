"""Missed ("flash") calls through Africa's Talking's voice callback, replayed from recorded
payloads: the call is rejected (the caller pays nothing) and becomes one call-back request per
number per hour; a wrong key or a bad payload is refused and stores nothing."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from recorded import FIXTURES, cases, form

from case_store.models import MissedCall, Reporter
from gateway.channels.voice import intake
from gateway.providers.africastalking import voice
from gateway.providers.events import InvalidPayload

CALLER = "+254711000456"
VOICE = FIXTURES / "africastalking" / "voice"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((VOICE / f"{name}.json").read_text("utf-8"))


def post(client: Any, case: dict[str, Any]) -> Any:
    url = urlsplit(case["url"])
    path = f"{url.path}?{url.query}" if url.query else url.path
    return client.post(path, data=case["body"], headers=case["headers"])


def stored(db: Any) -> tuple[list[MissedCall], int]:
    with db() as session:
        missed = list(session.query(MissedCall).order_by(MissedCall.id))
        for row in missed:
            session.expunge(row)
        return missed, session.query(Reporter).count()


@pytest.mark.parametrize("case", cases("africastalking/voice"))
def test_each_recorded_callback_gets_its_answer_and_stores_what_it_should(
    client: Any, db: Any, case: dict[str, Any]
) -> None:
    if "after" in case:
        assert post(client, recorded(case["after"])).status_code == 200
    before, _reporters = stored(db)

    answer = post(client, case)

    expect = case["expect"]
    assert answer.status_code == expect["status"], answer.get_data(as_text=True)
    after, reporters = stored(db)
    if expect["status"] != 200:
        assert after == [] and reporters == 0
        if "reason" in expect:
            assert expect["reason"] in answer.get_data(as_text=True)
        return
    assert answer.mimetype == "application/xml"
    body = answer.get_data(as_text=True)
    if expect["answer"] == "reject":
        assert body.endswith("<Response><Reject/></Response>")
    else:
        assert body.endswith("<Response/>")
    assert len(after) - len(before) == (1 if expect["recorded"] else 0)


def test_a_flash_is_a_call_back_request_with_the_number_kept_encrypted(
    app: Any, client: Any, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    started = datetime.now(UTC)

    assert post(client, recorded("ringing")).status_code == 200

    [missed], _ = stored(db)
    vault = app.extensions["kinga"].vault
    with db() as session:
        reporter = session.get(Reporter, missed.reporter_id)
        assert reporter.phone_hash == vault.phone_hash(CALLER)
        assert vault.decrypt(reporter.phone_encrypted) == CALLER
        assert CALLER.encode() not in reporter.phone_encrypted
    assert (missed.provider, missed.external_id) == (
        "africastalking",
        "ATVId_5d2b0c1e9f8a4b7c6d5e4f3a2b1c0d9e",
    )
    assert started <= missed.called_at <= datetime.now(UTC)
    assert missed.closed_at is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "missed call from +2547•••••456" in logged
    assert CALLER not in logged and CALLER[1:] not in logged


def test_retries_and_repeats_within_the_hour_make_one_request(client: Any, db: Any) -> None:
    for name in ("ringing", "ringing_retry", "ended", "ringing_again", "ringing"):
        assert post(client, recorded(name)).status_code == 200

    missed, reporters = stored(db)
    assert len(missed) == 1 and reporters == 1


def test_a_flash_more_than_an_hour_after_the_last_is_a_new_request(app: Any, db: Any) -> None:
    rt = app.extensions["kinga"]
    first = voice.parse(form(recorded("ringing")["body"]))
    later = voice.parse(form(recorded("ringing_again")["body"]))
    start = datetime.now(UTC)

    assert intake.missed_call(rt, first, now=start)
    assert not intake.missed_call(rt, later, now=start + timedelta(minutes=59))
    assert intake.missed_call(rt, later, now=start + timedelta(minutes=61))

    missed, reporters = stored(db)
    assert [row.external_id for row in missed] == [first.session_id, later.session_id]
    assert reporters == 1


@pytest.mark.parametrize(
    "name", ["missing_caller", "bad_caller", "missing_session", "bad_active", "bad_direction"]
)
def test_refusals_name_the_field_never_the_number(name: str) -> None:
    case = recorded(name)
    with pytest.raises(InvalidPayload) as raised:
        voice.parse(form(case["body"]))
    assert str(raised.value) == case["expect"]["reason"]
    assert "254" not in str(raised.value)
