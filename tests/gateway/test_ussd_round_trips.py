"""What a USSD hop asks of Redis and of the database, counted through the real client and
engine (``tests/round_trips.py``): two Redis round trips per hop, no database between the first
hop and the last, one write for a report. Counts, never timings: ``make bench`` measures time.
"""

from __future__ import annotations

import pytest
from round_trips import RedisRoundTrips, Transactions
from staff import CASEWORKER_PHONE, add_staff
from ussd_client import REPORT_ANSWERS, Caller

from workers.queues import QUEUE_NAMES, queue

# A missing child (high): its report also hands the on-call caseworker's alert to RQ.
HIGH_REPORT = ["1", "2", "98", "1", "2", "1", "6", "2", "Kibera", "3", "Alone", "1", "3", "2", "1"]


@pytest.fixture
def counted(app) -> tuple[RedisRoundTrips, Transactions]:
    rt = app.extensions["kinga"]
    trips = RedisRoundTrips(rt.redis)
    rt.redis.ping()  # a new connection's handshake belongs to no hop
    for name in QUEUE_NAMES:  # nor does RQ's question of the server's version, once a process
        queue(name, rt.redis).get_redis_server_version()
    trips.take()
    return trips, Transactions(rt.engine)


def walk(caller: Caller, answers: list[str], trips: RedisRoundTrips) -> list[int]:
    """The round trips of each hop: the dial, then one per answer."""
    counts = []
    caller.dial()
    counts.append(trips.take())
    for answer in answers:
        caller.answer(answer)
        counts.append(trips.take())
    return counts


def test_every_hop_of_a_report_takes_two_redis_round_trips(client, counted):
    trips, _ = counted
    assert walk(Caller(client), REPORT_ANSWERS, trips) == [2] * (len(REPORT_ANSWERS) + 1)


@pytest.fixture
def on_call(app) -> None:
    """A caseworker on call everywhere: a new case's alert goes to RQ at once."""
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, on_call=True)


def test_a_report_that_alerts_hands_the_alert_to_rq_in_one_more(client, counted, on_call):
    """The hop that opens a case with someone on call also enqueues the alert (one pipeline)."""
    trips, _ = counted
    counts = walk(Caller(client, session_id="ATUid_high"), HIGH_REPORT, trips)
    assert counts[:-1] == [2] * len(HIGH_REPORT)
    assert counts[-1] == 3


def test_the_next_callers_first_hop_still_takes_two(client, counted):
    """A phone whose last session ended keeps no pointer to it: nothing more to read."""
    trips, _ = counted
    walk(Caller(client), REPORT_ANSWERS, trips)
    assert walk(Caller(client, session_id="ATUid_again"), [], trips) == [2]


def test_a_redial_that_offers_a_dropped_report_back_reads_it_in_one_more(client, counted):
    trips, _ = counted
    walk(Caller(client), REPORT_ANSWERS[:4], trips)  # dropped in the middle of a report
    redial = Caller(client, session_id="ATUid_redial")
    assert redial.dial().startswith("CON Your last session was cut off.")
    assert trips.take() == 3
    redial.answer("1")  # continue where it stopped
    assert trips.take() == 2


def test_a_retried_hop_takes_one_round_trip(client, counted):
    trips, _ = counted
    caller = Caller(client)
    walk(caller, REPORT_ANSWERS[:2], trips)
    caller.post(caller.text)
    assert trips.take() == 1


def test_a_report_reads_the_database_once_and_writes_it_once(client, counted):
    """The first hop reads the caller's saved language; the menus in between touch no
    database; the last hop writes the report in one transaction."""
    _, transactions = counted
    caller = Caller(client)
    caller.dial()
    assert transactions.take() == (1, 0)
    for answer in REPORT_ANSWERS[:-1]:
        caller.answer(answer)
        assert transactions.take() == (0, 0), answer
    assert caller.answer(REPORT_ANSWERS[-1]).startswith("END Thank you.")
    assert transactions.take() == (1, 1)


def test_a_report_that_alerts_is_still_one_transaction(client, counted, on_call):
    """The outbox pattern: the report and its alert commit together, and the alert is handed to
    RQ after the commit with nothing more written (the outbox sweep marks it a minute later)."""
    _, transactions = counted
    caller = Caller(client, session_id="ATUid_high")
    caller.dial()
    for answer in HIGH_REPORT[:-1]:
        caller.answer(answer)
    transactions.take()
    caller.answer(HIGH_REPORT[-1])
    assert transactions.take() == (1, 1)
