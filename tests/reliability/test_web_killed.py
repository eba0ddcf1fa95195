"""The web process SIGKILLed again and again while callers file whole USSD reports.

One ``kinga serve`` (gunicorn, its threaded workers) on the suite's database and Redis. Eight
callers at a time file whole reports; at seeded random points the gateway's whole process
group (master and workers) is SIGKILLed, and a new gateway is started on a new port, which
the callers follow. A caller whose hop fails (refused, reset) sends the same hop again once a
gateway is back, as a provider's retry does; a session that ended without a reference is
dialled again. Afterwards: every reference told is a case with a valid check digit, no session
opened two cases, nothing is half written (each case has its contact and its case_opened
event, every contact's case exists), and each case has exactly one alert and its outbox row.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import URLError

import pytest
from probe_data import KILL_PHONES, with_probe
from processes import wait_until
from sms_client import AT_KEY
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, add_staff
from ussd_client import REPORT_ANSWERS
from web_processes import Answer, WebProcess, serve_env

from case_store.enums import Direction, EventKind, MessagePurpose
from case_store.models import Case, CaseEvent, Contact, Message, OutboxRow
from case_store.references import is_valid_reference

REPORTS, AT_ONCE, KILLS = 200, len(KILL_PHONES), 4
SEED = 17
USSD = f"/ussd/africastalking?key={AT_KEY}"
THANKS = "END Thank you. Your reference is "
CUT_OFF = "Your last session was cut off."
START_AGAIN = "2"
# What a hop to a dying gateway meets: refused, reset, or closed before the answer.
LOST = (URLError, ConnectionError, http.client.HTTPException)


class Gateways:
    """The current gateway; each kill replaces it with a new one on a new port."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.started: list[WebProcess] = []
        self.current = self._start()
        self.up = threading.Event()
        self.up.set()
        self.lock = threading.Lock()
        self.resent = 0  # hops a kill cut off, sent again

    def _start(self) -> WebProcess:
        web = WebProcess.start(self.env, self.folder, f"gateway{len(self.started)}")
        self.started.append(web)
        return web

    def kill_and_restart(self) -> None:
        self.up.clear()
        dying = self.current
        os.killpg(dying.process.pid, signal.SIGKILL)  # the master and its workers at once
        dying.process.wait()
        self.current = self._start()
        self.up.set()

    def post(self, form: dict[str, str]) -> Answer:
        """The hop's answer from whichever gateway is up, sent again after each kill."""
        while True:
            assert self.up.wait(timeout=60), "no gateway came back"
            web = self.current
            try:
                return web.post(USSD, form)
            except LOST:
                with self.lock:
                    self.resent += 1
                wait_until(lambda web=web: self.current is not web, "a new gateway")

    def stop(self) -> None:
        for web in self.started:
            web.stop()


@pytest.fixture(scope="module")
def gateways(settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateways]:
    running = Gateways(serve_env(settings), tmp_path_factory.mktemp("killed"))
    yield running
    running.stop()
    for web in running.started:
        assert "Traceback" not in web.output(), web.output()


class Callers:
    def __init__(self, gateways: Gateways) -> None:
        self.gateways = gateways
        self.lock = threading.Lock()
        self.told: list[str] = []
        self.hops = 0
        self.dialled = 0

    def report(self, n: int) -> None:
        """Report ``n`` filed from its caller's phone, dialling again until a reference."""
        while True:
            with self.lock:
                self.dialled += 1
                session = f"ATUid_killed_{n}_{self.dialled}"
            end = self._session(session, KILL_PHONES[n % AT_ONCE])
            if end.startswith(THANKS):
                with self.lock:
                    self.told.append(end[len(THANKS) :].split(".")[0].replace("-", ""))
                return

    def _session(self, session: str, phone: str) -> str:
        answers: list[str] = []
        todo = with_probe(REPORT_ANSWERS)
        while True:
            answer = self.gateways.post(
                {"sessionId": session, "serviceCode": "*384*116#", "phoneNumber": phone,
                 "networkCode": "63902", "text": "*".join(answers)},
            )  # fmt: skip
            with self.lock:
                self.hops += 1
            assert answer.status == 200 and answer.body.startswith(("CON ", "END ")), answer
            if answer.body.startswith("END "):
                return answer.body
            assert todo, f"session {session} never ended: {answer.body}"
            answers.append(START_AGAIN if not answers and CUT_OFF in answer.body else todo.pop(0))


def test_reports_survive_the_web_process_killed_at_random_points(
    gateways, app, db, redis_client
) -> None:
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    callers = Callers(gateways)
    hops = REPORTS * (len(REPORT_ANSWERS) + 1)
    kill_at = sorted(random.Random(SEED).sample(range(hops // 10, hops * 8 // 10), KILLS))
    with ThreadPoolExecutor(AT_ONCE) as pool:
        filed = [pool.submit(callers.report, n) for n in range(REPORTS)]
        for target in kill_at:
            wait_until(lambda target=target: callers.hops >= target, f"{target} hops")
            gateways.kill_and_restart()
        for report in filed:
            report.result()

    assert len(gateways.started) == KILLS + 1
    assert gateways.resent > 0  # the kills cut hops off
    assert len(callers.told) == REPORTS == len(set(callers.told))
    assert all(is_valid_reference(reference) for reference in callers.told)
    with db() as session:
        cases = dict(session.execute(select(Case.id, Case.reference)).all())
        contacts = session.execute(select(Contact.external_id, Contact.case_id)).all()
        opened = Counter(
            session.scalars(
                select(CaseEvent.case_id).where(CaseEvent.kind == EventKind.CASE_OPENED)
            )
        )
        alerts = session.execute(
            select(Message.case_id, OutboxRow.id)
            .outerjoin(OutboxRow, Message.outbox_id == OutboxRow.id)
            .where(Message.direction == Direction.OUTBOUND, Message.purpose == MessagePurpose.ALERT)
        ).all()
    assert set(callers.told) <= set(cases.values())
    claimed = Counter(case_id for _, case_id in contacts if case_id is not None)
    assert set(claimed) == set(cases) and set(claimed.values()) == {1}  # one session, one case
    assert len({external_id for external_id, _ in contacts}) == len(contacts)
    assert opened == Counter(set(cases))
    assert all(outbox_id is not None for _, outbox_id in alerts)
    assert Counter(case_id for case_id, _ in alerts) == Counter(set(cases))
