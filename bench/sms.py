"""The SMS rows of ``make bench``: inbound webhooks per second, and sends per second per worker.

1. Inbound: request files for ``requests.lua`` (wrk), each request a new SMS: "HELP" from a
   new number with a new provider id, Twilio's signed as Twilio signs them, Africa's Talking's
   with the key; and a replayed Twilio webhook (the same request again: the duplicate path).
   Kinga logs each new message, runs one step of the SMS dialog, queues two replies with
   their outbox rows, commits and enqueues two send jobs.
2. Outbound: messages queued as the gateway queues them, then one RQ worker in burst mode
   sends them all through the fake Twilio and Africa's Talking servers (real HTTP on
   127.0.0.1, tests/fakes) and through the ``log`` provider; the bare sender calling the same
   fake in a loop (no queue, no database) is the baseline. ``SimpleWorker`` runs jobs in the
   worker process; ``Worker`` (what ``kinga worker`` runs) forks a child per job.
"""

from __future__ import annotations

import socketserver
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from serving import BENCH, ROOT

sys.path.insert(0, str(ROOT / "tests"))

import redis
from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from case_store.crypto import Vault
from case_store.db import make_engine, make_sessionmaker
from case_store.enums import MessagePurpose
from gateway.config.redis import redis_from_url
from gateway.config.settings import Settings
from workers.queues import DEFAULT

TWILIO_TOKEN = "bench-twilio-token"  # noqa: S105 - signs the benchmark's own requests
PUBLIC_URL = "https://kinga.example.org"
BODY = "Your reference 482-177-302 was updated. Dial *384*116# for details."
SCRIPT = BENCH / "requests.lua"


def settings_env() -> dict[str, str]:
    """What the gateway needs to check the benchmark's Twilio signatures."""
    return {"KINGA_PUBLIC_URL": PUBLIC_URL, "KINGA_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}


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


def _line(path: str, params: dict[str, str], header: str = "") -> str:
    return f"{path}\t{header}\t{urlencode(params)}\n"


def write_twilio_requests(file: Path, count: int, run: str) -> None:
    validator = RequestValidator(TWILIO_TOKEN)
    path = "/sms/twilio/inbound"
    with file.open("w") as out:
        for n in range(count):
            params = {
                "MessageSid": f"SM{run}{n:0{32 - len(run)}x}",  # 34 characters, as Twilio's
                "AccountSid": "AC" + "0" * 32,
                "From": f"+2547{n % 100_000_000:08d}",
                "To": "+15005550006",
                "Body": "HELP",
                "NumSegments": "1",
            }
            signature = validator.compute_signature(PUBLIC_URL + path, params)
            out.write(_line(path, params, f"X-Twilio-Signature: {signature}"))


def write_at_requests(file: Path, count: int, run: str, key: str) -> None:
    path = f"/sms/africastalking/inbound?key={key}"
    with file.open("w") as out:
        for n in range(count):
            params = {
                "from": f"+2557{n % 100_000_000:08d}",
                "to": "40404",
                "text": "HELP",
                "date": "2026-03-02 09:30:00",
                "id": f"ATXid_{run}{n:030x}",
                "networkCode": "63902",
            }
            out.write(_line(path, params))


def write_replayed_request(file: Path, run: str) -> None:
    """One Twilio webhook, sent again and again: the first is new, every other a replay."""
    write_twilio_requests(file, 1, f"rp{run}")


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
    dispatch(connection, rows)


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


def outbound(env: dict[str, str], count: int) -> dict[str, float]:
    """Sends per second: one worker of each kind through each provider, and the bare senders."""
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
    rates: dict[str, float] = {}
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
                rates[f"{name}, bare sender loop"] = bare_sends(sender, count)
            rates[f"{name}, one SimpleWorker"] = send_all(env, sender, count, SimpleWorker)
        rates["twilio (fake), one forking Worker (kinga worker)"] = send_all(
            env, providers["twilio (fake)"], min(count, 200), Worker
        )
    return rates
