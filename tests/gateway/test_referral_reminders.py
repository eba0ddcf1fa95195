"""A referral nobody answers: one reminder to the provider after ``referrals.remind_after``,
then its caseworker is told at ``referrals.reply_within``; each step once, however many sweeps
run, and none after an answer. Every step is on the case's timeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from referral_setup import PROVIDER_PHONE, add_provider, referrals, reported_case, sent_to
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sms_client import Texter
from sqlalchemy import select, update
from staff import CASEWORKER_PHONE, SUPERVISOR_PHONE

import workers.context as worker_context
from case_store.enums import EventKind, MessagePurpose
from case_store.models import CaseEvent, Message, Referral, User
from case_store.references import format_reference
from gateway.config.profile import ProfileError, load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT
from gateway.providers.log import LogSender
from workers import cron
from workers.queues import DEFAULT
from workers.referrals import run_referral_sweep, sweep_referrals


@pytest.fixture
def referral(app, client, db) -> Referral:
    add_provider(app)
    case = reported_case(app, client, db, consent=True)
    Texter(client, phone=CASEWORKER_PHONE).send(f"REFER {case.reference} health")
    (sent,) = referrals(db)
    return sent


def sweep(app, redis_client, referral: Referral, after: timedelta) -> int:
    runtime = app.extensions["kinga"]
    return run_referral_sweep(
        runtime.sessions,
        redis_client,
        runtime.vault,
        profile=runtime.profile,
        max_segments=runtime.settings.sms_max_segments,
        now=referral.created_at + after,
    )


def steps(db, referral: Referral) -> list[str]:
    with db() as session:
        kinds = session.scalars(
            select(CaseEvent.kind)
            .where(CaseEvent.case_id == referral.case_id, CaseEvent.kind.in_(STEPS))
            .order_by(CaseEvent.id)
        )
        return [kind.value for kind in kinds]


STEPS = (EventKind.REFERRED, EventKind.REFERRAL_REMINDED, EventKind.REFERRAL_UNANSWERED)


def test_one_reminder_then_the_caseworker_is_told_once(app, db, redis_client, referral):
    code = referral.code
    assert sweep(app, redis_client, referral, timedelta(hours=3, minutes=59)) == 0
    assert sweep(app, redis_client, referral, timedelta(hours=4)) == 1
    reminders = sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)
    assert reminders[-1] == (
        f"Kinga reminder, referral {code}: health service needed, Mombasa. Caseworker: "
        f"{CASEWORKER_PHONE}. Reply YES {code} or NO {code} reason."
    )
    assert sweep(app, redis_client, referral, timedelta(hours=5)) == 0  # never a second
    assert sweep(app, redis_client, referral, timedelta(hours=23, minutes=59)) == 0
    assert steps(db, referral) == ["referred", "referral_reminded"]

    assert sweep(app, redis_client, referral, timedelta(hours=24)) == 1
    (told,) = sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)
    reference = referral.case.reference
    assert told == (
        f"Kinga: no reply from Coast Clinic to referral {code} (case "
        f"{format_reference(reference)}, health). To refer elsewhere: REFER {reference} health"
    )
    assert sweep(app, redis_client, referral, timedelta(days=3)) == 0
    assert steps(db, referral) == ["referred", "referral_reminded", "referral_unanswered"]
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 2


def test_no_reply_to_a_supervisors_referral_reaches_the_caseworker_holding_the_case_too(
    app, client, db, redis_client
):
    add_provider(app)
    case = reported_case(app, client, db, consent=None)
    Texter(client, phone=SUPERVISOR_PHONE).send(f"REFER {case.reference} health OVERRIDE why")
    (sent,) = referrals(db)
    assert sweep(app, redis_client, sent, timedelta(hours=24)) == 1
    told = (
        f"Kinga: no reply from Coast Clinic to referral {sent.code} (case "
        f"{format_reference(case.reference)}, health). To refer elsewhere: REFER "
        f"{case.reference} health"
    )
    assert sent_to(app, db, SUPERVISOR_PHONE, MessagePurpose.REFERRAL) == [told]
    assert sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)[-1] == told


def test_two_sweeps_at_the_same_time_send_each_step_once(app, db, redis_client, referral):
    due = timedelta(hours=4, minutes=1)
    assert sweep(app, redis_client, referral, due) + sweep(app, redis_client, referral, due) == 1
    late = timedelta(hours=25)
    assert sweep(app, redis_client, referral, late) + sweep(app, redis_client, referral, late) == 1
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 2
    assert len(sent_to(app, db, CASEWORKER_PHONE, MessagePurpose.REFERRAL)) == 1


def test_an_answered_referral_is_left_alone(app, client, db, redis_client, referral):
    Texter(client, phone=PROVIDER_PHONE).send(f"YES {referral.code}")
    assert sweep(app, redis_client, referral, timedelta(days=2)) == 0
    assert steps(db, referral) == ["referred"]
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 1


def test_a_referral_found_late_is_reported_without_a_late_reminder(app, db, redis_client, referral):
    """Workers were down past both times: chasing the provider now would only be late."""
    assert sweep(app, redis_client, referral, timedelta(hours=30)) == 1
    assert steps(db, referral) == ["referred", "referral_unanswered"]
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 1


def test_a_deactivated_provider_is_not_reminded_but_the_caseworker_is_told(
    app, db, runner, redis_client, referral
):
    assert (
        runner.invoke(args=["services", "deactivate", str(referral.service_provider_id)]).exit_code
        == 0
    )
    assert sweep(app, redis_client, referral, timedelta(hours=5)) == 0
    assert sweep(app, redis_client, referral, timedelta(hours=24)) == 1
    assert steps(db, referral) == ["referred", "referral_unanswered"]


def test_the_timeline_shows_every_step(app, client, db, runner, redis_client, referral):
    sweep(app, redis_client, referral, timedelta(hours=4))
    sweep(app, redis_client, referral, timedelta(hours=24))
    Texter(client, phone=PROVIDER_PHONE).send(f"YES {referral.code}")
    shown = runner.invoke(args=["cases", "show", referral.case.reference]).output
    head = f"referral {referral.code} (health)"
    for line in (
        f"{head} sent to Coast Clinic",
        f"{head}: no answer yet, provider reminded",
        f"{head}: no reply in time, caseworker told",
        f"{head} accepted",
    ):
        assert line in shown, shown
    document = runner.invoke(args=["cases", "show", referral.case.reference, "--json"]).output
    assert '"status": "accepted"' in document and '"reminded_at": "20' in document


def test_a_worker_runs_the_sweep_and_sends_once(app, db, redis_client, referral):
    """The cron job, run by a real worker with the clock moved: the referral is five hours old."""
    with db.begin() as session:
        session.execute(
            update(Referral)
            .where(Referral.id == referral.id)
            .values(created_at=referral.created_at - timedelta(hours=5))
        )
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    worker_context.install(app.extensions["kinga"].job_context([LogSender()]))
    results = []
    try:
        for _ in range(2):  # the sweep twice: a retry, or a second worker's slot
            job = default.enqueue(sweep_referrals)
            SimpleWorker([default], connection=redis_client, serializer=JSONSerializer).work(
                burst=True
            )
            results.append(job.return_value())
    finally:
        worker_context.uninstall()
    assert results == [1, 0]
    assert steps(db, referral) == ["referred", "referral_reminded"]
    vault = app.extensions["kinga"].vault
    with db() as session:
        sent = session.scalars(
            select(Message)
            .where(
                Message.purpose == MessagePurpose.REFERRAL,
                Message.phone_hash == vault.phone_hash(PROVIDER_PHONE),
            )
            .order_by(Message.id)
        ).all()
    assert [(m.provider, m.status.value) for m in sent] == [("log", "sent"), ("log", "sent")]


def test_the_schedule_sweeps_referrals_every_minute(redis_client):
    (job,) = [
        j for j in cron.build_scheduler(redis_client).get_jobs() if j.name == "referral_sweep"
    ]
    assert (job.cron, job.queue_name, job.func) == ("* * * * *", DEFAULT, sweep_referrals)


def test_the_times_come_from_the_profile(tmp_path: Path):
    profile = load_profile(DEFAULT_DEPLOYMENT)
    assert (profile.referral_remind_after, profile.referral_reply_within) == (
        timedelta(hours=4),
        timedelta(hours=24),
    )
    data = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text("utf-8"))
    (tmp_path / "locations.yaml").write_text(
        (DEFAULT_DEPLOYMENT / "locations.yaml").read_text("utf-8"), "utf-8"
    )
    for referrals_section, problem in (
        ({"remind_after": "2h", "reply_within": "1h"}, "shorter than referrals.reply_within"),
        ({"remind_after": "0m"}, "at least 1m"),
        ({"remind_after": "soon"}, "referrals.remind_after: 'soon' is not a duration"),
        ({"reply_in": "1d"}, "referrals may hold remind_after and reply_within"),
        ("1d", "referrals may hold remind_after and reply_within"),
    ):
        bad = {**data, "referrals": referrals_section}
        (tmp_path / "profile.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), "utf-8")
        with pytest.raises(ProfileError, match=problem):
            load_profile(tmp_path)
    shorter = {**data, "referrals": {"remind_after": "30m", "reply_within": "2h"}}
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(shorter, allow_unicode=True), "utf-8")
    loaded = load_profile(tmp_path)
    assert (loaded.referral_remind_after, loaded.referral_reply_within) == (
        timedelta(minutes=30),
        timedelta(hours=2),
    )


def test_a_provider_without_a_caseworker_phone_gets_no_reminder(app, db, redis_client, referral):
    """The work number is in every reminder; without one there is no reminder to send."""
    with db.begin() as session:
        session.execute(
            update(User).where(User.id == referral.created_by_id).values(phone_encrypted=None)
        )
    assert sweep(app, redis_client, referral, timedelta(hours=4)) == 1  # the step is recorded
    assert len(sent_to(app, db, PROVIDER_PHONE, MessagePurpose.REFERRAL)) == 1
