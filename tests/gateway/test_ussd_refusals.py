"""Bad input, a wrong key, and Redis or the database down: clear answers, nothing written."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from ussd_client import PHONE, REPORT_ANSWERS, Caller

from case_store.base import Base
from case_store.db import make_engine, make_sessionmaker
from dialogs.encoding import ussd_fits
from gateway import create_app
from gateway.channels.ussd import intake

GOOD = {"sessionId": "ATUid_1", "serviceCode": "*384*116#", "phoneNumber": PHONE, "text": ""}
UNAVAILABLE = (
    "END Sorry, the service is not available right now. If there is danger now, call 116. "
    "Please try again later."
)
# The outage screen asks nothing, so it names no child: whoever shares the phone may see it.
CHILD = {"en": "child", "sw": "mtoto", "fr": "enfant", "ar": "طفل", "pt": "crian"}


def nothing_stored(db, redis_client) -> bool:
    with db() as session:
        rows = sum(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        )
    return rows == 0 and not redis_client.keys("kinga:*")


@pytest.mark.parametrize("query", ["", "?key=", "?key=wrong", "?other=test-webhook-key"])
def test_a_wrong_or_missing_key_gets_403_and_changes_nothing(client, db, redis_client, query):
    response = client.post(f"/ussd/africastalking{query}", data=GOOD)
    assert response.status_code == 403
    assert "key" in response.get_data(as_text=True)
    assert nothing_stored(db, redis_client)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sessionId": None}, "sessionId is required"),
        ({"sessionId": "  "}, "sessionId is required"),
        ({"phoneNumber": None}, "phoneNumber is required"),
        ({"phoneNumber": ""}, "phoneNumber is required"),
        ({"phoneNumber": "0712345321"}, "E.164"),
        ({"phoneNumber": "+25471"}, "not a possible number"),
        ({"phoneNumber": "+abc"}, "not a valid E.164 number"),
        ({"text": "1*" * 501}, "longer than 1000"),
        ({"sessionId": "x" * 500}, "sessionId is too long"),
        ({"sessionId": "ATUid_\x00"}, "sessionId has control or invisible characters"),
        ({"sessionId": "ATUid_1\nforged log line"}, "sessionId has control"),
        # phonenumbers calls these possible; E.164 has at most 15 digits, a phone at least 7.
        ({"phoneNumber": "+2342222222222222"}, "not a possible number"),
        ({"phoneNumber": "+4922"}, "not a possible number"),
    ],
)
def test_malformed_callbacks_get_400_with_a_reason(client, db, redis_client, change, reason):
    form = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    response = Caller(client).client.post(Caller(client).url, data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert reason in body
    assert "Traceback" not in body and "<html" not in body.lower()
    assert PHONE not in body
    assert nothing_stored(db, redis_client)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"sessionId": "1"}', "application/json"), ("sessionId=1", "text/plain"), ("", None)],
)
def test_a_body_that_is_not_a_form_gets_400(client, db, redis_client, body, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(Caller(client).url, data=body, headers=headers)
    assert response.status_code == 400
    assert "form" in response.get_data(as_text=True)
    assert nothing_stored(db, redis_client)


def test_an_oversized_body_is_refused(client, db, redis_client):
    response = client.post(Caller(client).url, data={**GOOD, "text": "1" * 100_000})
    assert response.status_code == 413
    assert nothing_stored(db, redis_client)


def test_redis_down_gives_the_caller_a_clear_end_and_readyz_503(settings, db):
    app = create_app(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0"))
    client = app.test_client()
    caller = Caller(client)
    assert caller.post("").get_data(as_text=True) == UNAVAILABLE
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "down": ["redis"]}


@pytest.mark.parametrize("language", ["en", "sw", "fr", "ar", "pt"])
@pytest.mark.parametrize("fold", [False, True], ids=["accents", "folded"])
def test_the_unavailable_screen_gives_the_helpline_and_fits(app, language, fold) -> None:
    rt = app.extensions["kinga"]
    profile = rt.profile
    numbers = {**profile.emergency_numbers, "child_helpline": "1190"}
    rt.profile = dataclasses.replace(
        profile,
        emergency_numbers=numbers,
        fold_accents=(language,) if fold else (),
    )
    try:
        text = intake.unavailable(rt, language)
    finally:
        rt.profile = profile
    assert "1190" in text
    assert ussd_fits(text, profile.screen_budget), text
    assert CHILD[language] not in text.lower(), text


def test_database_down_at_dial_says_so_at_once(settings, db, redis_client):
    dead = "postgresql+psycopg://kinga@127.0.0.1:1/nowhere"
    client = create_app(dataclasses.replace(settings, database_url=dead)).test_client()
    assert Caller(client).dial() == UNAVAILABLE
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["down"] == ["database"]


def test_database_lost_before_send_writes_nothing_and_the_report_survives(
    app, client, db, redis_client, monkeypatch
):
    caller = Caller(client)
    caller.dial()
    for value in REPORT_ANSWERS[:-1]:
        caller.answer(value)
    rt = app.extensions["kinga"]
    dead = make_sessionmaker(make_engine("postgresql+psycopg://kinga@127.0.0.1:1/nowhere"))
    with monkeypatch.context() as patch:
        patch.setattr(rt, "sessions", dead)
        assert caller.answer("1") == UNAVAILABLE
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Base.metadata.tables["case"])) == 0
    # The session record still holds every answer: the provider's retry, once the database
    # is back, sends the report.
    screen = caller.post().get_data(as_text=True)
    assert screen.startswith("END Thank you. Your reference is")


def test_a_failure_inside_the_transaction_leaves_nothing_half_written(client, db, redis_client):
    def fail_after_flush(session: Session, _context: object) -> None:
        if session.new or session.dirty or session.identity_map:
            raise OperationalError("INSERT", {}, Exception("connection lost"))

    caller = Caller(client)
    caller.dial()
    for value in REPORT_ANSWERS[:-1]:
        caller.answer(value)
    event.listen(Session, "after_flush", fail_after_flush)
    try:
        assert caller.answer("1") == UNAVAILABLE
    finally:
        event.remove(Session, "after_flush", fail_after_flush)
    with db() as session:
        rows = sum(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        )
    assert rows == 0
    # The caller redials the same step once the database is back: the report goes through.
    assert caller.post().get_data(as_text=True).startswith("END Thank you. Your reference is")


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
