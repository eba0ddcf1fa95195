"""Reporter follow-ups: one neutral SMS when a case is acknowledged, referred or closed, only
with consent, never after STOP, never in quiet hours, at most one per case per local day, in
the reporter's language. Driven with a frozen clock, and once by a real worker on Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from case_store.enums import ClosureReason, EventKind, MessagePurpose, MessageStatus
from case_store.follow_ups import QuietHours
from case_store.models import Case, CaseEvent, Message, Reporter, ServiceProvider, User
from case_store.operations import (
    Report,
    acknowledge,
    claim,
    close,
    create_user,
    open_case,
)
from case_store.operations.follow_ups import claim_follow_up
from case_store.operations.messages import set_opt_out
from case_store.operations.referrals import refer
from case_store.references import format_reference
from workers import context as worker_context
from workers.context import JobContext
from workers.follow_ups import run_follow_ups
from workers.queues import DEFAULT

PHONE = "+254712345321"
NAIROBI = ZoneInfo("Africa/Nairobi")  # UTC+3 all year
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30 all year
BOGOTA = ZoneInfo("America/Bogota")  # UTC-5 all year
QUIET = QuietHours(time(21), time(7))  # the example profile's


def at(zone: ZoneInfo, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in ``zone``, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=zone).astimezone(UTC)


@pytest.fixture
def ctx(install_jobs: Callable[..., JobContext]) -> JobContext:
    return install_jobs()


def deployment(ctx: JobContext, zone: ZoneInfo, quiet: QuietHours | None = QUIET) -> JobContext:
    """``ctx`` with its profile's time zone and quiet hours changed, installed for jobs."""
    profile = replace(ctx.profile, time_zone=zone, follow_up_quiet_hours=quiet)
    return worker_context.install(replace(ctx, profile=profile))


def report(
    ctx: JobContext, *, sms: str | None = "yes", language: str = "en", when: datetime
) -> int:
    answers = {
        "danger": "no",
        "category": "neglect",
        "age_band": "5_11",
        "sex": "girl",
        "area": "047",
        "relationship": "community",
        "narrative": "Alone at night",
        "callback": "no",
    }
    if sms is not None:
        answers["sms_updates"] = sms
    with ctx.sessions.begin() as db:
        session_id = f"ATUid_{when.timestamp()}"
        filed = Report("ussd", "africastalking", session_id, PHONE, language, answers, when)
        return open_case(db, ctx.vault, filed, now=when).id


def caseworker(ctx: JobContext) -> int:
    with ctx.sessions.begin() as db:
        user = create_user(
            db, ctx.vault, username="amina", role="caseworker", phone="+254700111001",
            now=datetime(2026, 3, 1, tzinfo=UTC),
        )  # fmt: skip
        return user.id


def acknowledged(ctx: JobContext, case_id: int, user_id: int, when: datetime) -> None:
    with ctx.sessions.begin() as db:
        case, user = db.get_one(Case, case_id), db.get_one(User, user_id)
        claim(db, case, actor=user, now=when)
        acknowledge(db, case, actor=user, now=when)


def closed(ctx: JobContext, case_id: int, user_id: int, when: datetime) -> None:
    with ctx.sessions.begin() as db:
        case, user = db.get_one(Case, case_id), db.get_one(User, user_id)
        if case.assigned_to_id is None:
            claim(db, case, actor=user, now=when)
        close(db, case, ClosureReason.RESOLVED, actor=user, now=when)


def referred(ctx: JobContext, case_id: int, user_id: int, when: datetime) -> None:
    with ctx.sessions.begin() as db:
        case, user = db.get_one(Case, case_id), db.get_one(User, user_id)
        claim(db, case, actor=user, now=when)
        case.consent_services = True  # as a caseworker records it when they speak
        clinic = ServiceProvider(
            name="Clinic", services=["medical"], areas=[], languages=["en"], created_at=when
        )
        db.add(clinic)
        db.flush()
        refer(db, ctx.vault, case, clinic, "medical", actor=user, now=when)


def run(ctx: JobContext, when: datetime) -> dict[str, int]:
    return run_follow_ups(
        ctx.sessions,
        ctx.redis,
        ctx.vault,
        profile=ctx.profile,
        max_segments=ctx.max_segments,
        now=when,
    )


def follow_ups(ctx: JobContext) -> list[tuple[str, str, int | None]]:
    """(phone, text, case id) of every follow-up queued, oldest first."""
    with ctx.sessions() as db:
        messages = db.scalars(
            select(Message).where(Message.purpose == MessagePurpose.FOLLOW_UP).order_by(Message.id)
        )
        return [
            (
                ctx.vault.decrypt(m.phone_encrypted or b""),
                ctx.vault.decrypt(m.body_encrypted or b""),
                m.case_id,
            )
            for m in messages
        ]


def events(ctx: JobContext, case_id: int) -> list[tuple[str, dict[str, object]]]:
    with ctx.sessions() as db:
        rows = db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return [(e.kind.value, e.data["after"]) for e in rows if e.kind.startswith("follow_up")]


def reference(ctx: JobContext, case_id: int) -> str:
    with ctx.sessions() as db:
        return format_reference(db.get_one(Case, case_id).reference)


Trigger = Callable[[JobContext, int, int, datetime], None]
TRIGGERS: dict[str, Trigger] = {
    "acknowledged": acknowledged,
    "referred": referred,
    "closed": closed,
}


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_each_update_sends_the_reporter_one_neutral_follow_up(ctx, trigger):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    TRIGGERS[trigger](ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 10))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 1}
    expected = f"Your reference {reference(ctx, case_id)} was updated. Dial *384*116# for details."
    assert follow_ups(ctx) == [(PHONE, expected, case_id)]
    ((kind, data),) = events(ctx, case_id)
    assert kind == EventKind.FOLLOW_UP_SENT
    assert data["follow_up_sent_at"] == at(NAIROBI, 2, 10, 1).isoformat()
    # Nothing is owed any more: the next run finds nothing.
    assert run(ctx, at(NAIROBI, 2, 10, 2)) == {}
    assert len(follow_ups(ctx)) == 1


def test_several_updates_before_it_goes_make_one_follow_up(ctx):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    user_id = caseworker(ctx)
    acknowledged(ctx, case_id, user_id, at(NAIROBI, 2, 10))
    closed(ctx, case_id, user_id, at(NAIROBI, 2, 10, 0))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 1}
    assert len(follow_ups(ctx)) == 1


@pytest.mark.parametrize("answer", ["no", None], ids=["declined", "not asked"])
def test_a_reporter_who_did_not_agree_is_sent_nothing(ctx, answer):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, sms=answer, when=at(NAIROBI, 2, 9))
    user_id = caseworker(ctx)
    acknowledged(ctx, case_id, user_id, at(NAIROBI, 2, 10))
    closed(ctx, case_id, user_id, at(NAIROBI, 2, 11))

    with ctx.sessions() as db:
        assert db.get_one(Case, case_id).follow_up_due_at is None  # nothing was ever owed
    assert run(ctx, at(NAIROBI, 2, 12)) == {}
    assert follow_ups(ctx) == [] and events(ctx, case_id) == []


def test_after_stop_the_follow_up_is_dropped(ctx):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    with ctx.sessions.begin() as db:
        set_opt_out(db, ctx.vault, PHONE, True, now=at(NAIROBI, 2, 9, 30))
    acknowledged(ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 10))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"dropped": 1}
    assert follow_ups(ctx) == []
    assert events(ctx, case_id) == [("follow_up_dropped", {"reason": "opted_out"})]
    assert run(ctx, at(NAIROBI, 3, 10)) == {}  # dropped for good, not held


def test_without_a_number_kept_the_follow_up_is_dropped(ctx):
    """Retention blanked the reporter's number (or consent was marked on a case by hand)."""
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    with ctx.sessions.begin() as db:
        db.get_one(Case, case_id).reporter.phone_encrypted = None
    acknowledged(ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 10))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"dropped": 1}
    assert follow_ups(ctx) == []
    assert events(ctx, case_id) == [("follow_up_dropped", {"reason": "no_phone"})]


@pytest.mark.parametrize("zone", [NAIROBI, KOLKATA, BOGOTA], ids=str)
def test_a_follow_up_due_in_quiet_hours_is_held_until_they_end(ctx, zone):
    ctx = deployment(ctx, zone)
    case_id = report(ctx, when=at(zone, 2, 20))
    acknowledged(ctx, case_id, caseworker(ctx), at(zone, 2, 22, 30))

    assert run(ctx, at(zone, 2, 22, 31)) == {"held": 1}
    assert follow_ups(ctx) == []
    held = {"follow_up_due_at": at(zone, 3, 7).isoformat(), "reason": "quiet_hours"}
    assert events(ctx, case_id) == [("follow_up_held", held)]
    assert run(ctx, at(zone, 3, 6, 59)) == {}  # still quiet: not even looked at
    assert run(ctx, at(zone, 3, 7)) == {"sent": 1}
    assert len(follow_ups(ctx)) == 1


def test_quiet_hours_within_one_day_hold_too(ctx):
    ctx = deployment(ctx, NAIROBI, QuietHours(time(12), time(14)))
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    acknowledged(ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 13))

    assert run(ctx, at(NAIROBI, 2, 13, 1)) == {"held": 1}
    assert run(ctx, at(NAIROBI, 2, 14)) == {"sent": 1}


def test_one_follow_up_per_case_per_day_the_next_waits_for_the_morning(ctx):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    user_id = caseworker(ctx)
    acknowledged(ctx, case_id, user_id, at(NAIROBI, 2, 10))
    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 1}

    closed(ctx, case_id, user_id, at(NAIROBI, 2, 15))
    assert run(ctx, at(NAIROBI, 2, 15, 1)) == {"held": 1}
    # The next day starts in the quiet hours: it waits for them to end, not for midnight.
    held = events(ctx, case_id)[-1]
    assert held == (
        "follow_up_held",
        {"follow_up_due_at": at(NAIROBI, 3, 7).isoformat(), "reason": "sent_today"},
    )
    assert run(ctx, at(NAIROBI, 3, 0, 1)) == {}
    assert run(ctx, at(NAIROBI, 3, 7)) == {"sent": 1}
    assert len(follow_ups(ctx)) == 2


def test_another_case_of_the_same_reporter_has_its_own_day(ctx):
    ctx = deployment(ctx, NAIROBI)
    first = report(ctx, when=at(NAIROBI, 2, 9))
    second = report(ctx, when=at(NAIROBI, 2, 9, 5))
    user_id = caseworker(ctx)
    acknowledged(ctx, first, user_id, at(NAIROBI, 2, 10))
    closed(ctx, second, user_id, at(NAIROBI, 2, 10))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 2}
    assert [case for _phone, _text, case in follow_ups(ctx)] == [first, second]


@pytest.mark.parametrize(
    ("zone", "sent", "update", "outcome"),
    [
        # 23:50 and 00:10 in Kolkata: two local days, though both are 18:xx UTC on the 2nd.
        (KOLKATA, (2, 23, 50), (3, 0, 10), "sent"),
        # 18:00 and 20:00 in Bogotá: one local day, though 23:00 and 01:00 UTC are two.
        (BOGOTA, (2, 18, 0), (2, 20, 0), "held"),
    ],
    ids=["kolkata", "bogota"],
)
def test_the_day_is_the_deployments_calendar_day(ctx, zone, sent, update, outcome):
    ctx = deployment(ctx, zone, quiet=None)
    case_id = report(ctx, when=at(zone, 2, 9))
    user_id = caseworker(ctx)
    acknowledged(ctx, case_id, user_id, at(zone, *sent))
    assert run(ctx, at(zone, *sent)) == {"sent": 1}

    closed(ctx, case_id, user_id, at(zone, *update))
    assert run(ctx, at(zone, *update)) == {outcome: 1}
    if outcome == "held":  # without quiet hours: from the deployment's midnight
        assert events(ctx, case_id)[-1][1]["follow_up_due_at"] == at(zone, 3, 0).isoformat()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sw", "Namba yako ya kumbukumbu {ref} imesasishwa. Piga *384*116# kupata maelezo."),
        ("ar", "تم تحديث رقمك المرجعي {ref}. اطلب *384*116# لمعرفة التفاصيل."),
        # Portuguese is folded to GSM-7 in the example profile: Referência → Referencia.
        ("pt", "Referencia {ref} atualizada. Marque *384*116# para saber mais."),
        ("de", "Your reference {ref} was updated. Dial *384*116# for details."),  # not enabled
    ],
)
def test_the_follow_up_is_in_the_reporters_language(ctx, language, expected):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, language=language, when=at(NAIROBI, 2, 9))
    acknowledged(ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 10))

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 1}
    ((_phone, text, _case),) = follow_ups(ctx)
    assert text == expected.format(ref=reference(ctx, case_id))
    with ctx.sessions() as db:
        assert db.scalars(select(Message.segments)).one() == 1


def test_a_follow_up_is_taken_once_and_a_retried_run_sends_nothing(ctx):
    ctx = deployment(ctx, NAIROBI)
    case_id = report(ctx, when=at(NAIROBI, 2, 9))
    acknowledged(ctx, case_id, caseworker(ctx), at(NAIROBI, 2, 10))
    with ctx.sessions.begin() as db:
        assert claim_follow_up(db, case_id, now=at(NAIROBI, 2, 9, 59)) is None  # not due yet
        assert claim_follow_up(db, case_id, now=at(NAIROBI, 2, 10, 1)) is not None
        assert claim_follow_up(db, case_id, now=at(NAIROBI, 2, 10, 1)) is None  # taken
        db.rollback()  # the run died before its commit: the follow-up is still owed

    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {"sent": 1}
    assert run(ctx, at(NAIROBI, 2, 10, 1)) == {}  # the job retried
    assert len(follow_ups(ctx)) == 1


def test_a_worker_sends_it_once_however_often_the_job_runs(ctx, redis_client):
    """The job as the schedule enqueues it, twice (a retry, a second worker's slot), run by a
    real worker, then the send job: one follow-up reaches the provider."""
    ctx = deployment(ctx, NAIROBI, quiet=None)  # the real clock: any hour
    now = datetime.now(UTC)
    case_id = report(ctx, when=now - timedelta(minutes=5))
    acknowledged(ctx, case_id, caseworker(ctx), now - timedelta(minutes=1))
    queue = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    for _ in range(2):
        queue.enqueue("workers.follow_ups.send_follow_ups")

    SimpleWorker([queue], connection=redis_client, serializer=JSONSerializer).work(burst=True)

    assert len(queue.failed_job_registry) == 0
    with ctx.sessions() as db:
        (message,) = db.scalars(select(Message).where(Message.purpose == "follow_up")).all()
        assert (message.provider, message.status) == ("log", MessageStatus.SENT)
        assert message.case_id == case_id
        reporter = db.get_one(Case, case_id).reporter
        assert isinstance(reporter, Reporter) and reporter.phone_encrypted is not None
    assert [kind for kind, _data in events(ctx, case_id)] == ["follow_up_sent"]
