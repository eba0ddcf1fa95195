"""A flood of new USSD sessions does not stop another caller's report or ``/healthz``.

One real gateway (``kinga serve``: two gunicorn workers of four threads) on loopback. Twenty
four clients dial new sessions back to back (a new session id each time, from twenty phones)
— at least ``FLOOD_DIALS`` of them, and for as long as the other caller takes — while one
caller files a whole report and ``/healthz`` is asked between its hops. Every dial is answered
with the first menu, the caller's report is filed with a valid reference within the
provider's hop limit at every hop, ``/healthz`` answers each time, and the flood leaves
nothing in Redis that lives for ever: every session record and pointer expires. The load is
bounded in count (``MAX_DIALS``); the one time bound is the providers' own limit on a hop,
with its slack, not a speed target.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

import pytest
from delivered import references
from probe_data import FLOOD_PHONES, REPLAY_PHONE, with_probe
from sms_client import AT_KEY
from ussd_client import REPORT_ANSWERS
from web_processes import WebProcess, serve_env

from case_store.references import is_valid_reference
from gateway.channels.ussd.sessions import KEY_PREFIX

USSD = f"/ussd/africastalking?key={AT_KEY}"
FLOODERS = 24
FLOOD_DIALS = 400  # at least
MAX_DIALS = 4_000  # at most, whatever the caller's pace
HOP_LIMIT = 15.0  # seconds: the longest a USSD provider waits for an answer to a hop
REFERENCE = re.compile(r"Your reference is (\d{3}-\d{3}-\d{3})")


@pytest.fixture
def gateway(settings, tmp_path: Path) -> Iterator[WebProcess]:
    web = WebProcess.start(serve_env(settings), tmp_path, "gateway")
    yield web
    web.stop()
    assert "Traceback" not in web.output(), web.output()


class Flood:
    def __init__(self, gateway: WebProcess) -> None:
        self.gateway = gateway
        self.lock = threading.Lock()
        self.dials = 0
        self.refused: list[str] = []  # any answer but the first menu
        self.caller_done = threading.Event()

    def dial(self, flooder: int) -> None:
        while True:
            with self.lock:
                if self.dials >= MAX_DIALS or (
                    self.dials >= FLOOD_DIALS and self.caller_done.is_set()
                ):
                    return
                self.dials += 1
                n = self.dials
            answer = self.gateway.post(
                USSD,
                {"sessionId": f"ATUid_flood_{flooder}_{n}", "serviceCode": "*384*116#",
                 "phoneNumber": FLOOD_PHONES[n % len(FLOOD_PHONES)], "networkCode": "63902",
                 "text": ""},
            )  # fmt: skip
            if answer.status != 200 or not answer.body.startswith("CON "):
                with self.lock:
                    self.refused.append(f"{answer.status} {answer.body[:80]}")


def healthz(gateway: WebProcess) -> float:
    started = time.monotonic()
    with urlopen(f"http://127.0.0.1:{gateway.port}/healthz", timeout=60) as answer:
        assert answer.status == 200
    return time.monotonic() - started


def test_a_flood_of_new_sessions_stops_neither_a_report_nor_healthz(
    gateway, db, redis_client
) -> None:
    flood = Flood(gateway)
    hops: list[float] = []
    checks: list[float] = []
    with ThreadPoolExecutor(FLOODERS) as pool:
        flooders = [pool.submit(flood.dial, n) for n in range(FLOODERS)]
        while flood.dials < FLOODERS * 2:  # the flood is under way
            time.sleep(0.05)
        try:
            answers: list[str] = []
            screen = ""
            for value in ["", *with_probe(REPORT_ANSWERS)]:
                if value:
                    answers.append(value)
                started = time.monotonic()
                answer = gateway.post(
                    USSD,
                    {"sessionId": "ATUid_flooded_caller", "serviceCode": "*384*116#",
                     "phoneNumber": REPLAY_PHONE, "networkCode": "63902",
                     "text": "*".join(answers)},
                )  # fmt: skip
                hops.append(time.monotonic() - started)
                assert answer.status == 200, answer
                screen = answer.body
                checks.append(healthz(gateway))
            during = flood.dials
        finally:
            flood.caller_done.set()
        for flooder in flooders:
            flooder.result()

    assert during < flood.dials or during >= FLOOD_DIALS  # the report was filed in the flood
    assert flood.refused == []
    found = REFERENCE.search(screen)
    assert found, screen
    reference = found.group(1).replace("-", "")
    assert is_valid_reference(reference) and reference in references(db)
    assert max(hops) < HOP_LIMIT, hops
    assert max(checks) < HOP_LIMIT, checks

    keys = list(redis_client.scan_iter(f"{KEY_PREFIX}*", count=1000))
    assert FLOOD_DIALS <= len(keys) <= flood.dials * 2 + 2
    assert all(redis_client.ttl(key) > 0 for key in keys)  # nothing lives for ever
