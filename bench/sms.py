"""SMS benchmark: inbound webhook requests per second, outbound sends per second per worker.

    .venv/bin/python bench/sms.py [--seconds 10] [--clients 8] [--messages 300]

1. Inbound: the gateway under gunicorn (2 workers) and a bare Flask endpoint under the same
   configuration, each loaded by the same keep-alive clients for the same time in this run.
   Every Kinga request is a new SMS ("HELP" from a new number, a new provider id): logged,
   run through the SMS dialog, two replies queued with their outbox rows, committed, two send
   jobs enqueued. Twilio requests are signed by the client; Africa's Talking ones carry the
   key. A replayed Twilio webhook (the duplicate path) is measured too.
2. Outbound: messages queued as the gateway queues them, then one RQ worker in burst mode
   sends them all through the fake Twilio and Africa's Talking servers (real HTTP on
   127.0.0.1, tests/fakes) and through the ``log`` provider; the bare sender calling the same
   fake in a loop (no queue, no database) is the baseline. ``SimpleWorker`` runs jobs in the
   worker process; ``Worker`` (what ``kinga worker`` runs) forks a child per job.

Uses KINGA_DATABASE_URL / KINGA_REDIS_URL when set, otherwise a temporary SQLite database and
an embedded Redis. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socketserver
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import redis  # noqa: E402
from rq import Queue, SimpleWorker, Worker  # noqa: E402
from rq.serializers import JSONSerializer  # noqa: E402
from serving import gunicorn, load  # noqa: E402
from sqlalchemy import text  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from case_store import migrate  # noqa: E402
from case_store.crypto import Vault  # noqa: E402
from case_store.db import make_engine, make_sessionmaker  # noqa: E402
from case_store.enums import MessagePurpose  # noqa: E402
from gateway.config.redis import embedded_redis_url, redis_from_url  # noqa: E402
from gateway.config.settings import Settings  # noqa: E402
from workers.queues import DEFAULT  # noqa: E402

TWILIO_TOKEN = "bench-twilio-token"  # noqa: S105 - signs the benchmark's own requests
PUBLIC_URL = "https://kinga.example.org"
BARE_APP = """
from flask import Flask, Response

app = Flask(__name__)


@app.post("/sms")
def sms():
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', mimetype="text/xml")
"""
BODY = "Your reference 482-177-302 was updated. Dial *384*116# for details."


def environment(tmp: Path) -> dict[str, str]:
    env = {
        "KINGA_ENV": "development",
        "KINGA_VAR_DIR": str(tmp / "var"),
        "KINGA_DATABASE_URL": os.environ.get("KINGA_DATABASE_URL")
        or f"sqlite:///{tmp / 'bench.db'}",
        "KINGA_REDIS_URL": os.environ.get("KINGA_REDIS_URL") or embedded_redis_url(tmp / "redis"),
        "KINGA_PUBLIC_URL": PUBLIC_URL,
        "KINGA_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    }
    Settings.from_env(env)  # writes the development secrets once, before any worker starts
    return env


def reset(env: dict[str, str]) -> None:
    """Empty the message tables and the queues between runs (the benchmark's own data)."""
    engine = make_engine(env["KINGA_DATABASE_URL"])
    with engine.begin() as conn:
        for table in (
            "message_event",
            "inbound_receipt",
            "message",
            "outbox",
            "contact",
            "reporter",
        ):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    engine.dispose()
    redis_from_url(env["KINGA_REDIS_URL"]).flushdb()


# --- inbound ----------------------------------------------------------------------------------


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def twilio_request(run: str) -> Callable[[int], tuple[str, bytes, dict[str, str]]]:
    validator = RequestValidator(TWILIO_TOKEN)
    path = "/sms/twilio/inbound"

    def build(n: int) -> tuple[str, bytes, dict[str, str]]:
        sid = f"SM{run}{n:030x}"[:34]
        params = {
            "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": f"+2547{n % 100_000_000:08d}",
            "To": "+15005550006",
            "Body": "HELP",
            "NumSegments": "1",
        }
        signature = validator.compute_signature(PUBLIC_URL + path, params)
        return path, urlencode(params).encode(), {**FORM, "X-Twilio-Signature": signature}

    return build


def replayed_twilio_request() -> Callable[[int], tuple[str, bytes, dict[str, str]]]:
    first = twilio_request("rp")(0)
    return lambda n: first


def at_request(run: str, key: str) -> Callable[[int], tuple[str, bytes, dict[str, str]]]:
    path = f"/sms/africastalking/inbound?key={key}"

    def build(n: int) -> tuple[str, bytes, dict[str, str]]:
        params = {
            "from": f"+2557{n % 100_000_000:08d}",
            "to": "40404",
            "text": "HELP",
            "date": "2026-03-02 09:30:00",
            "id": f"ATXid_{run}{n:030x}",
            "networkCode": "63902",
        }
        return path, urlencode(params).encode(), FORM

    return build


def bare_request(n: int) -> tuple[str, bytes, dict[str, str]]:
    return "/sms", urlencode({"Body": "HELP", "MessageSid": f"SM{n}"}).encode(), FORM


def inbound(env: dict[str, str], tmp: Path, seconds: float, clients: int) -> None:
    (tmp / "bare_sms_app.py").write_text(BARE_APP)
    key = Settings.from_env(env).at_webhook_key
    runs = [
        ("bare Flask", "bare_sms_app:app", 5611, bare_request),
        ("Kinga Twilio inbound (new SMS)", "gateway:create_app()", 5612, twilio_request("a")),
        ("Kinga Africa's Talking inbound (new SMS)", "gateway:create_app()", 5613,
         at_request("b", key)),
        ("Kinga Twilio inbound (replayed webhook)", "gateway:create_app()", 5614,
         replayed_twilio_request()),
    ]  # fmt: skip
    rates: dict[str, float] = {}
    for name, app, port, request in runs:
        reset(env)
        stop = gunicorn(app, port, env, tmp)
        try:
            load(port, request, 1, clients)  # warm up
            rates[name] = load(port, request, seconds, clients)
        finally:
            stop()
        print(f"{name}: {rates[name]:.0f} requests/s")
    bare = rates["bare Flask"]
    for name, rate in rates.items():
        if name != "bare Flask":
            print(f"  {name} / bare Flask: {rate / bare:.0%}")


# --- outbound ---------------------------------------------------------------------------------


def queue_messages(env: dict[str, str], count: int) -> None:
    from gateway.channels.sms.intake import queue_sms
    from workers.dispatch import dispatch

    settings = Settings.from_env(env)
    sessions = make_sessionmaker(make_engine(settings.database_url))
    vault = Vault(settings.encryption_keys, settings.phone_hash_key)
    connection = redis_from_url(settings.redis_url)
    rows: list[int] = []
    with sessions.begin() as db:
        for n in range(count):
            _message, row = queue_sms(
                db, vault, phone=f"+2547{n:08d}", text=BODY, purpose=MessagePurpose.FOLLOW_UP,
                max_segments=4, now=datetime.now(UTC),
            )  # fmt: skip
            rows.append(row)
    dispatch(sessions, connection, rows)


def send_all(env: dict[str, str], sender: object, count: int, worker_class: type[Worker]) -> float:
    from gateway.runtime import Runtime
    from workers import context

    reset(env)
    settings = Settings.from_env(env)
    context.install(Runtime.build(settings).job_context([sender]))  # type: ignore[list-item]
    queue_messages(env, count)
    connection: redis.Redis[bytes] = redis_from_url(settings.redis_url)
    queue = Queue(DEFAULT, connection=connection, serializer=JSONSerializer)
    worker = worker_class([queue], connection=connection, serializer=JSONSerializer)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    sent = queue.finished_job_registry.count
    if sent != count:
        print(f"  ({count - sent} of {count} jobs did not finish)")
    return count / elapsed


def bare_sends(sender: object, count: int) -> float:
    from workers.sms.provider_api import OutboundSms

    started = time.perf_counter()
    for n in range(count):
        sender.send(OutboundSms(f"bare-{n}", f"+2547{n:08d}", BODY))  # type: ignore[attr-defined]
    return count / (time.perf_counter() - started)


def outbound(env: dict[str, str], count: int) -> None:
    from fakes import (
        AT_API_KEY,
        AT_USERNAME,
        TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN,
        FakeAfricasTalking,
        FakeTwilio,
    )

    from gateway.providers.africastalking.sms import AfricasTalkingSender
    from gateway.providers.log import LogSender
    from gateway.providers.twilio.sms import TwilioSender

    # The fakes write headers and body separately; without TCP_NODELAY every answer waits
    # for the client's delayed ACK (about 40 ms), which would measure the kernel, not Kinga.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    with (
        FakeTwilio(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) as twilio_api,
        FakeAfricasTalking(AT_USERNAME, AT_API_KEY) as at_api,
    ):
        providers = {
            "twilio (fake)": TwilioSender(
                TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "+15005550006", base_url=twilio_api.base_url
            ),
            "africastalking (fake)": AfricasTalkingSender(
                AT_USERNAME, AT_API_KEY, "KINGA", base_url=f"{at_api.base_url}/version1"
            ),
            "log": LogSender(),
        }
        for name, sender in providers.items():
            if name != "log":
                print(f"{name}: bare sender loop {bare_sends(sender, count):.0f} sends/s")
            simple = send_all(env, sender, count, SimpleWorker)
            print(f"{name}: one SimpleWorker {simple:.0f} sends/s")
        forked = send_all(env, providers["twilio (fake)"], min(count, 200), Worker)
        print(f"twilio (fake): one forking Worker (kinga worker) {forked:.0f} sends/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = environment(tmp)
        os.environ.update(env)
        migrate.upgrade(env["KINGA_DATABASE_URL"])
        database = env["KINGA_DATABASE_URL"].split(":", 1)[0]
        print(f"database: {database}, {args.clients} clients, {args.seconds:.0f} s per run")
        inbound(env, tmp, args.seconds, args.clients)
        outbound(env, args.messages)


if __name__ == "__main__":
    main()
