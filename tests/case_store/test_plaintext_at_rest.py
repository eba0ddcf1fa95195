"""After full reports, and with reports half-way through, the raw stores hold no phone
number, name, place or narrative.

The stored bytes are searched directly: the SQLite file with its WAL, or a ``pg_dump`` of
the PostgreSQL test database; and Redis, where live USSD and SMS sessions and the RQ jobs
are kept: every value of every key (decoded too, as RQ deflates job data and keeps results
and tracebacks in base64) and, on the embedded Redis, a fresh snapshot file with every file
beside it and under the var folder. Something known to be stored is searched too, to prove
each search sees the data it is meant to see.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import redis
from case_store_factories import NOW, add_user, answers, build_report
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from case_store.crypto import Vault
from case_store.models import ServiceProvider
from case_store.operations import add_note, answer_referral, open_case, record_reveal, refer
from case_store.operations.messages import queue_outbound, record_inbound

PHONE = "+254798765432"
NAME = "Wanjiku Achieng"
PLACE = "Mathare, the green gate after Wanjiku's shop"
NARRATIVE = "Wanjiku Achieng, 7, is locked inside every day; the neighbour Otieno Kamau hits her."
NOTE = "Spoke to Grace Muthoni (aunt) on +254711222333; she will take Wanjiku in."
SMS_IN = "REPORT Wanjiku Achieng is locked inside at Mathare"
SMS_OUT = "Your reference was updated. Dial *384*116# for details."
PROVIDER_PHONE = "+254733444555"
SECRETS = (
    "798765432",
    "733444555",
    "Dial *384*116# for details",
    NAME,
    "Otieno Kamau",
    "green gate",
    "locked inside every day",
    "Grace Muthoni",
    "711222333",
)


def _forms(secret: str) -> list[bytes]:
    """The plain bytes, and the hex and UTF-16 forms a careless bytea or text column would hold."""
    raw = secret.encode()
    return [raw, raw.hex().encode(), secret.encode("utf-16-le")]


def _stored_bytes(database_url: str, db_engine: Engine) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with db_engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
        path = Path(url.database or "")
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert path in files
        return b"".join(p.read_bytes() for p in files)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not on PATH")
    target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(
        [pg_dump, "--data-only", "--dbname", target], check=True, capture_output=True
    ).stdout


def test_no_personal_text_reaches_the_database(
    db: sessionmaker[Session], vault: Vault, database_url: str, db_engine: Engine
) -> None:
    report = build_report(
        phone=PHONE,
        answers=answers(place=PLACE, narrative=NARRATIVE, callback="yes", callback_time="any"),
    )
    with db.begin() as session:
        case = open_case(session, vault, report, now=NOW)
        supervisor = add_user(session, "supervisor")
        add_note(session, vault, case, NOTE, actor=supervisor, now=NOW)
        # The SMS side of a report, a referral, and an audited reveal: still nothing in clear.
        record_inbound(
            session,
            vault,
            provider="twilio",
            provider_id="SMplain",
            phone=PHONE,
            body=SMS_IN,
            received_at=NOW,
        )
        queue_outbound(
            session,
            vault,
            phone=PHONE,
            body=SMS_OUT,
            purpose="follow_up",
            encoding="GSM-7",
            segments=1,
            case=case,
            now=NOW,
        )
        clinic = ServiceProvider(
            name="Mathare Clinic",
            services=["medical"],
            areas=[],
            languages=["en"],
            phone_hash=vault.phone_hash(PROVIDER_PHONE),
            phone_encrypted=vault.encrypt(PROVIDER_PHONE),
            created_at=NOW,
        )
        session.add(clinic)
        # Without consent, a supervisor's override reason and the provider's decline reason
        # are free text that names people.
        referral = refer(
            session,
            vault,
            case,
            clinic,
            "medical",
            actor=supervisor,
            now=NOW,
            override_reason="Otieno Kamau threatens her; she needs a clinic now.",
        )
        answer_referral(
            session, vault, referral, False, now=NOW, reason="Grace Muthoni says no bed tonight"
        )
        record_reveal(session, case, ["narrative"], now=NOW, actor=supervisor)
        reference, phone_hash = case.reference, vault.phone_hash(PHONE)

    stored = _stored_bytes(database_url, db_engine)

    assert reference.encode() in stored and phone_hash.encode() in stored
    for secret in SECRETS:
        for form in _forms(secret):
            assert form not in stored, "personal text found in the raw database"


# Half-way through a report the answers live in Redis only. USSD: report → not in danger →
# neglect → 5-11 → girl → first county → place → neighbour → narrative → no call-back → no
# SMS updates, and the summary is on screen; the SMS conversation goes as far.
USSD_ANSWERS = ["1", "2", "3", "2", "1", "1", PLACE, "3", NARRATIVE, "2", "2"]
SMS_ANSWERS = ["REPORT", "2", "3", "2", "1", "1", PLACE, "3", NARRATIVE, "2", "2"]
SEND = "1"
REDIS_SECRETS = ("798765432", NAME, "Otieno Kamau", "green gate", "locked inside every day")


def _ussd_report(client: FlaskClient, session_id: str, answers: list[str]) -> str:
    key = client.application.extensions["kinga"].settings.at_webhook_key
    screen = ""
    for done in range(len(answers) + 1):
        response = client.post(
            f"/ussd/africastalking?key={key}",
            data={
                "sessionId": session_id,
                "serviceCode": "*384*116#",
                "phoneNumber": PHONE,
                "networkCode": "63902",
                "text": "*".join(answers[:done]),
            },
        )
        screen = response.get_data(as_text=True)
        assert response.status_code == 200 and screen.startswith("CON "), screen
    return screen


def _sms_report(client: FlaskClient, first_id: int, answers: list[str]) -> None:
    key = client.application.extensions["kinga"].settings.at_webhook_key
    for n, answer in enumerate(answers, start=first_id):
        response = client.post(
            f"/sms/africastalking/inbound?key={key}",
            data={
                "from": PHONE,
                "to": "40404",
                "text": answer,
                "date": "2026-03-02 09:30:00",
                "id": f"ATXid_plain_{n}",
                "networkCode": "63902",
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)


def _values(client: redis.Redis, key: bytes) -> Iterator[bytes]:
    kind = client.type(key)
    if kind == b"string":
        yield client.get(key) or b""
    elif kind == b"hash":
        for field, value in client.hgetall(key).items():
            yield from (field, value)
    elif kind == b"list":
        yield from client.lrange(key, 0, -1)
    elif kind == b"set":
        yield from client.smembers(key)
    elif kind == b"zset":
        yield from client.zrange(key, 0, -1)
    elif kind == b"stream":
        for entry_id, fields in client.xrange(key):
            yield entry_id
            for field, value in fields.items():
                yield from (field, value)
    else:
        raise AssertionError(f"a Redis key of an unexpected type {kind!r}")


def _decoded(value: bytes) -> Iterator[bytes]:
    """The value, and what it holds when it is deflated and/or base64 (RQ keeps job data
    deflated, and results and tracebacks in base64)."""
    forms = [value]
    with suppress(binascii.Error, ValueError):
        forms.append(base64.b64decode(value, validate=True))
    for form in list(forms):
        with suppress(zlib.error):
            forms.append(zlib.decompress(form))
    yield from forms


def _redis_bytes(client: redis.Redis) -> bytes:
    """Every key and value in Redis, decoded where RQ encoded it."""
    chunks: list[bytes] = []
    for key in client.scan_iter(count=500):
        chunks.append(key)
        for value in _values(client, key):
            chunks.extend(_decoded(value))
    return b"\n".join(chunks)


def _snapshot_files(client: redis.Redis, var_dir: Path) -> bytes:
    """A fresh snapshot of the embedded Redis, uncompressed (so text would show), with every
    other file in its folder and every file under the var folder."""
    client.config_set("rdbcompression", "no")
    try:
        client.save()
    finally:
        client.config_set("rdbcompression", "yes")
    folder = Path(client.config_get("dir")["dir"])
    snapshot = folder / client.config_get("dbfilename")["dbfilename"]
    assert snapshot.is_file()
    files = [p for p in folder.iterdir() if p.is_file()]
    files += [p for p in var_dir.rglob("*") if p.is_file()] if var_dir.exists() else []
    return b"".join(p.read_bytes() for p in files)


def test_no_personal_text_reaches_redis(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, redis_client: redis.Redis
) -> None:
    # Finished reports on both channels, their replies sent by a worker: jobs, results and
    # registries stay in Redis.
    finished = _ussd_report(client, "ATUid_plain_1", USSD_ANSWERS)
    assert "Nairobi" in finished  # the first of the most used areas
    assert (
        client.post(
            f"/ussd/africastalking?key={app.extensions['kinga'].settings.at_webhook_key}",
            data={
                "sessionId": "ATUid_plain_1",
                "phoneNumber": PHONE,
                "serviceCode": "*384*116#",
                "text": "*".join([*USSD_ANSWERS, SEND]),
            },
        )
        .get_data(as_text=True)
        .startswith("END Thank you")
    )
    _sms_report(client, 1, [*SMS_ANSWERS, SEND])
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    # Then the same phone starts again on both channels and stops at the summary.
    _ussd_report(client, "ATUid_plain_2", USSD_ANSWERS)
    _sms_report(client, 100, SMS_ANSWERS)

    live_key = app.extensions["kinga"].ussd_sessions.key("africastalking", "ATUid_plain_2")
    stored = _redis_bytes(redis_client)
    if not os.environ.get("KINGA_REDIS_URL"):
        snapshot = _snapshot_files(redis_client, app.extensions["kinga"].settings.var_dir)
        assert live_key.encode() in snapshot
        stored += snapshot

    assert live_key.encode() in stored
    assert b"kinga:sms:session:" in stored  # the live conversation
    assert b"workers.sms.send_job.send_message" in stored  # a send job's data, inflated
    assert b'"sent"' in stored  # a send job's result, from base64
    found = [s for s in REDIS_SECRETS if any(form in stored for form in _forms(s))]
    assert not found, "personal text found in Redis"
