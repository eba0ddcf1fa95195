"""An alert that finds nobody on call is kept pending on the case (in the database, audited)
and goes out exactly once as soon as someone for its area is on call: at once when an
administrator puts someone on call, within the minute when a weekly window opens."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, time, timedelta

from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select, update
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    NAIROBI,
    NAIROBI_PHONE,
    OFF_CALL_PHONE,
    SUPERVISOR_PHONE,
    add_staff,
    alerts,
)
from ussd_client import Caller

import workers.context as worker_context
from case_store.enums import ClosureReason, MessagePurpose, RiskLevel
from case_store.models import Case, CaseEvent, Message, OnCallWindow, User
from case_store.operations import assign, close
from case_store.references import format_reference
from gateway.providers.log import LogSender
from workers import cron
from workers.pending_alerts import release_pending, send_pending_alerts
from workers.queues import URGENT


def the_case(db) -> Case:
    with db() as session:
        return session.scalars(select(Case)).one()


def event_kinds(db) -> list[str]:
    with db() as session:
        return [
            kind.value for kind in session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id))
        ]


def unalerted(runner) -> list[str]:
    result = runner.invoke(args=["cases", "list", "--json", "--unalerted"])
    assert result.exit_code == 0, result.output
    return [row["reference"] for row in json.loads(result.stdout)]


def release(app, redis_client, at: datetime, **options) -> int:
    rt = app.extensions["kinga"]
    return release_pending(
        rt.sessions,
        redis_client,
        rt.vault,
        profile=rt.profile,
        max_segments=rt.settings.sms_max_segments,
        now=at,
        **options,
    )


def nobody_for_mombasa(app) -> None:
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    add_staff(app, "chebet", "caseworker", NAIROBI_PHONE, areas=[NAIROBI], on_call=True)


def put_on_call(db, username: str) -> None:
    """Behind the CLI's back, as a weekly window opening does."""
    with db.begin() as session:
        session.execute(update(User).where(User.username == username).values(on_call=True))


def test_an_alert_that_finds_nobody_is_kept_pending_and_listed(app, client, db, runner, caplog):
    nobody_for_mombasa(app)
    with caplog.at_level(logging.WARNING, logger="kinga.alerts"):
        assert Caller(client).report().startswith("END Thank you")
    case = the_case(db)
    assert alerts(db, app) == []
    assert case.alert_pending_since == case.created_at
    assert event_kinds(db) == ["case_opened", "alert_pending"]
    assert "nobody on call" in caplog.text and "kept pending" in caplog.text
    assert unalerted(runner) == [format_reference(case.reference)]
    listed = runner.invoke(args=["cases", "list", "--json"])
    assert json.loads(listed.stdout)[0]["alert_pending_since"] == case.created_at.isoformat()


def test_putting_someone_on_call_sends_the_pending_alert_at_once(
    app, client, db, runner, redis_client
):
    nobody_for_mombasa(app)
    Caller(client).report()
    result = runner.invoke(args=["users", "on-call", "baraka", "--on"])
    assert result.exit_code == 0, result.output
    assert "1 pending alert(s) sent" in result.stderr
    ((phone, text),) = alerts(db, app)
    assert phone == OFF_CALL_PHONE and text.startswith("Kinga: new case ")
    assert unalerted(runner) == []
    assert the_case(db).alert_pending_since is None
    assert event_kinds(db) == ["case_opened", "alert_pending", "alert_released"]
    assert len(Queue(URGENT, connection=redis_client, serializer=JSONSerializer)) == 1
    assert release(app, redis_client, datetime.now(UTC)) == 0  # the next sweep: nothing left
    assert len(alerts(db, app)) == 1


def test_a_weekly_window_opening_releases_it(app, client, db, redis_client):
    nobody_for_mombasa(app)
    Caller(client).report()
    zone = app.extensions["kinga"].profile.time_zone
    later = datetime.now(zone).date() + timedelta(days=2)
    with db.begin() as session:
        baraka = session.scalars(select(User).where(User.username == "baraka")).one()
        session.add(
            OnCallWindow(user=baraka, weekday=later.weekday(), starts=time(10), ends=time(11))
        )
    assert release(app, redis_client, datetime.now(UTC)) == 0  # not yet
    assert alerts(db, app) == []
    opened = datetime.combine(later, time(10, 1), tzinfo=zone)
    assert release(app, redis_client, opened) == 1
    assert [phone for phone, _ in alerts(db, app)] == [OFF_CALL_PHONE]
    assert release(app, redis_client, opened + timedelta(minutes=1)) == 0


def test_the_minute_job_sends_what_waits(app, client, db, redis_client, job_context):
    nobody_for_mombasa(app)
    Caller(client).report()
    assert send_pending_alerts() == 0
    put_on_call(db, "baraka")
    assert send_pending_alerts() == 1
    assert [phone for phone, _ in alerts(db, app)] == [OFF_CALL_PHONE]


def test_several_workers_at_once_send_it_exactly_once(app, client, db, redis_client):
    nobody_for_mombasa(app)
    Caller(client).report()
    put_on_call(db, "baraka")
    workers = 8
    start = threading.Barrier(workers)
    released: list[int] = []

    def worker() -> None:
        start.wait()
        released.append(release(app, redis_client, datetime.now(UTC)))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(released) == [0] * (workers - 1) + [1]
    assert len(alerts(db, app)) == 1
    assert event_kinds(db).count("alert_released") == 1


def test_cases_waiting_where_nobody_is_on_call_never_hold_back_the_others(
    app, client, db, redis_client
):
    add_staff(app, "baraka", "caseworker", OFF_CALL_PHONE, areas=[MOMBASA])
    # The oldest pending case is in Kwale, which nobody covers.
    kwale = [
        "1", "2", "3", "2", "1", "Kwale", "Msambweni", "3", "She is alone at night", "2", "2", "1",
    ]  # fmt: skip
    Caller(client, session_id="ATUid_kwale", phone="+254712345888").report(kwale)
    Caller(client).report()
    put_on_call(db, "baraka")
    assert release(app, redis_client, datetime.now(UTC), batch=1) == 1
    assert [phone for phone, _ in alerts(db, app)] == [OFF_CALL_PHONE]
    with db() as session:
        waiting = session.scalars(
            select(Case.location_code).where(Case.alert_pending_since.is_not(None))
        )
        assert list(waiting) == ["002"]


def test_a_case_someone_took_or_closed_meanwhile_is_not_alerted_late(
    app, client, db, runner, redis_client
):
    nobody_for_mombasa(app)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE)  # off call, but at a desk
    Caller(client).report()
    Caller(client, session_id="ATUid_test_2", phone="+254712345999").report()
    now = datetime.now(UTC)
    with db.begin() as session:
        daudi = session.scalars(select(User).where(User.username == "daudi")).one()
        first, second = session.scalars(select(Case).order_by(Case.id)).all()
        assign(session, first, daudi, actor=daudi, now=now)
        close(session, second, ClosureReason.NO_CONCERN, actor=daudi, now=now)
    assert unalerted(runner) == []
    put_on_call(db, "baraka")
    assert release(app, redis_client, now) == 0
    assert alerts(db, app) == []


def test_a_deactivated_user_gets_no_alert_from_the_moment_of_deactivation(app, client, db, runner):
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, on_call=True)
    assert runner.invoke(args=["users", "deactivate", "amina"]).exit_code == 0
    Caller(client).report()
    assert [phone for phone, _ in alerts(db, app)] == [SUPERVISOR_PHONE]
    assert the_case(db).risk_level is RiskLevel.LOW


def test_the_schedule_runs_the_pending_alerts_every_minute(redis_client):
    (job,) = [
        j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "pending_alerts"
    ]
    assert (job.cron, job.queue_name, job.func) == ("* * * * *", URGENT, send_pending_alerts)


def test_a_worker_sends_the_released_alert(app, client, db, runner, redis_client):
    nobody_for_mombasa(app)
    Caller(client).report()
    runner.invoke(args=["users", "on-call", "baraka", "--on"])
    worker_context.install(app.extensions["kinga"].job_context([LogSender()]))
    try:
        urgent = Queue(URGENT, connection=redis_client, serializer=JSONSerializer)
        SimpleWorker([urgent], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    finally:
        worker_context.uninstall()
    with db() as session:
        (sent,) = session.scalars(select(Message).where(Message.purpose == MessagePurpose.ALERT))
        assert (sent.provider, sent.status.value) == ("log", "sent")
