"""The supervisor's view: its lists on real cases, kept to a supervisor's areas, each case
linked to its page; and failed jobs, retried for real on Redis by a CSRF-checked POST that is
recorded on the account's trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from console_call_data import MOMBASA, NAIROBI
from console_client import hidden_fields
from console_records import kinds, trail
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

import workers.context as worker_context
from case_store.enums import CallbackTime, CaseStatus
from case_store.models import Case, User
from case_store.operations import open_case, request_callback
from case_store.references import format_reference
from case_store.report_contract import Report
from workers.queues import DEFAULT, SLOW

PHONE_DIGITS = "254712345678"
BASE = {
    "danger": "no",
    "category": "neglect",
    "age_band": "5_11",
    "sex": "girl",
    "place": "by the market",
    "relationship": "community",
    "callback": "no",
}
_n = iter(range(1, 10**6))


def new_case(app, *, area: str, at: datetime, **answers: str) -> str:
    """A case reported by USSD at ``at``; its reference."""
    runtime = app.extensions["kinga"]
    report = Report(
        channel="ussd",
        provider="africastalking",
        external_id=f"ATUid_sup_{next(_n)}",
        phone=f"+2547000{next(_n):05}",
        language="en",
        answers=BASE | {"area": area} | answers,
        started_at=at,
    )
    with runtime.sessions.begin() as session:
        return open_case(session, runtime.vault, report, now=at).reference


def change(app, reference: str, fn) -> None:
    with app.extensions["kinga"].sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        fn(session, case)


def section(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', page, re.S)
    assert found is not None, name
    return found.group(1)


def references(html: str) -> list[str]:
    return re.findall(r'<a href="/staff/cases/(\d{9})">', html)


@pytest.fixture
def cases(app, make_staff):
    """Cases in Mombasa and Nairobi, in every state the view lists."""
    now = datetime.now(UTC)
    worker_id = make_staff("baraka", "caseworker", areas=[MOMBASA])
    late = new_case(app, area=MOMBASA, at=now - timedelta(hours=2), danger="yes")
    later = new_case(app, area=MOMBASA, at=now - timedelta(hours=1), danger="yes")
    fresh = new_case(app, area=MOMBASA, at=now, category="other")
    nairobi = new_case(app, area=NAIROBI, at=now - timedelta(hours=3), danger="yes")
    escalated = new_case(app, area=MOMBASA, at=now, category="sexual_abuse")
    waiting = new_case(app, area=MOMBASA, at=now, category="other")

    def hold(session, case):
        worker = session.get(User, worker_id)
        case.assigned_to = worker
        case.assigned_at = now
        case.first_contact_by = now + timedelta(days=1)

    change(app, fresh, hold)
    change(app, escalated, lambda s, c: setattr(c, "status", CaseStatus.ESCALATED))
    change(app, nairobi, lambda s, c: setattr(c, "status", CaseStatus.ESCALATED))
    change(app, waiting, lambda s, c: setattr(c, "alert_pending_since", now - timedelta(minutes=9)))
    vault = app.extensions["kinga"].vault
    change(
        app,
        later,
        lambda s, c: request_callback(
            s, vault, c, "+254700000777", CallbackTime.EVENING, now=now - timedelta(minutes=5)
        ),
    )
    return {
        "late": late,
        "later": later,
        "fresh": fresh,
        "nairobi": nairobi,
        "escalated": escalated,
        "waiting": waiting,
    }


def test_a_supervisor_sees_their_areas_most_urgent_first(make_staff, console, cases):
    make_staff("zawadi", "supervisor", areas=[MOMBASA])
    browser = console()
    browser.sign_in("zawadi")

    page = browser.get("/staff/supervisor").get_data(as_text=True)

    assert references(section(page, "overdue")) == [cases["late"], cases["later"]]
    assert cases["fresh"] in references(section(page, "unacknowledged"))
    assert cases["late"] not in references(section(page, "unacknowledged"))
    assert references(section(page, "escalated")) == [cases["escalated"]]
    assert references(section(page, "unalerted")) == [cases["waiting"]]
    callbacks = section(page, "callbacks")
    assert references(callbacks) == [cases["later"]] and "Evening" in callbacks
    workload = section(page, "workload")
    assert re.search(r"<td>baraka</td><td>Caseworker</td><td>1</td><td>0</td>", workload)
    assert cases["nairobi"] not in page
    assert format_reference(cases["late"]) in page


def test_an_administrator_sees_every_area(make_staff, console, cases):
    make_staff("admin", "admin")
    browser = console()
    browser.sign_in("admin")

    page = browser.get("/staff/supervisor").get_data(as_text=True)

    assert references(section(page, "overdue")) == [cases["nairobi"], cases["late"], cases["later"]]
    assert references(section(page, "escalated")) == [cases["nairobi"], cases["escalated"]]


def work(redis_client, *names: str) -> None:
    queues = [Queue(name, connection=redis_client, serializer=JSONSerializer) for name in names]
    SimpleWorker(queues, connection=redis_client, serializer=JSONSerializer).work(burst=True)


@pytest.fixture
def failed(redis_client) -> dict[str, str]:
    """Two jobs that really failed: a Kinga job run without its job context, and one whose
    error and arguments quote a phone number."""
    worker_context.uninstall()
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    follow_ups = default.enqueue("workers.follow_ups.send_follow_ups")
    parse = slow.enqueue("ipaddress.ip_address", address=PHONE_DIGITS)
    work(redis_client, DEFAULT, SLOW)
    assert len(default.failed_job_registry) == len(slow.failed_job_registry) == 1
    yield {"follow_ups": follow_ups.id, "parse": parse.id}
    worker_context.uninstall()


@pytest.fixture
def supervisor(make_staff, console):
    make_staff("zawadi", "supervisor", areas=[MOMBASA])
    browser = console()
    browser.sign_in("zawadi")
    return browser


def test_failed_jobs_are_listed_without_personal_data(supervisor, failed):
    page = supervisor.get("/staff/supervisor").get_data(as_text=True)
    jobs = section(page, "jobs")

    assert "workers.follow_ups.send_follow_ups" in jobs and "NoContext" in jobs
    assert "ipaddress.ip_address" in jobs and "ValueError" in jobs
    assert PHONE_DIGITS not in page and "Traceback" not in page
    assert jobs.count('name="job_id"') == 2


def test_a_failed_job_is_retried_once_and_recorded(supervisor, failed, redis_client, db):
    job_id = failed["follow_ups"]
    answer = supervisor.submit(
        "/staff/supervisor/retry", {"job_id": job_id}, page="/staff/supervisor"
    )

    assert answer.status_code == 302
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    assert default.job_ids == [job_id]
    assert job_id not in default.failed_job_registry
    kind, after = trail(db, "zawadi")[-1]
    assert kind == "job_retried"
    assert after == {
        "job_id": job_id,
        "job": "workers.follow_ups.send_follow_ups",
        "queue": DEFAULT,
    }
    page = supervisor.get("/staff/supervisor").get_data(as_text=True)
    assert "The job was put back on the default queue." in page
    assert job_id not in section(page, "jobs")

    again = supervisor.submit(
        "/staff/supervisor/retry", {"job_id": job_id}, page="/staff/supervisor"
    )

    assert again.status_code == 302
    assert default.job_ids == [job_id]
    assert kinds(db, "zawadi").count("job_retried") == 1
    assert "no longer waiting for a retry" in supervisor.get("/staff/supervisor").get_data(
        as_text=True
    )


def test_a_retry_without_the_session_s_token_is_refused(supervisor, failed, redis_client, db):
    fields = hidden_fields(supervisor.get("/staff/supervisor").get_data(as_text=True))
    fields = {name: value for name, value in fields.items() if not name.endswith("csrf_token")}
    before = kinds(db, "zawadi")

    answer = supervisor.client.post(
        "/staff/supervisor/retry", data=fields | {"job_id": failed["follow_ups"]}
    )

    assert answer.status_code == 400
    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    default = Queue(DEFAULT, connection=redis_client, serializer=JSONSerializer)
    assert failed["follow_ups"] in default.failed_job_registry
    assert failed["parse"] in slow.failed_job_registry
    assert kinds(db, "zawadi") == [*before, "refused"]  # the refusal, on the trail


def test_a_caseworker_is_refused_the_view_and_the_retry(make_staff, console, failed, db):
    make_staff("baraka", "caseworker")
    browser = console()
    browser.sign_in("baraka")

    assert browser.get("/staff/supervisor").status_code == 403
    answer = browser.submit(
        "/staff/supervisor/retry", {"job_id": failed["follow_ups"]}, page="/staff/"
    )
    assert answer.status_code == 403
    assert [after["action"] for kind, after in trail(db, "baraka") if kind == "refused"] == [
        "oversee",
        "retry_jobs",
    ]


LIMIT = 60 * 1024
LANGUAGES = ("en", "sw", "fr", "ar", "pt")


@pytest.fixture
def full_lists(app, make_staff, failed):
    """More than a page of cases in every list, twenty caseworkers, and failed jobs."""
    now = datetime.now(UTC)
    vault = app.extensions["kinga"].vault
    for n in range(20):
        make_staff(f"caseworker{n:02}", "caseworker", areas=[MOMBASA])
    for n in range(30):
        at = now - timedelta(hours=2, minutes=n)
        overdue = new_case(app, area=MOMBASA, at=at, danger="yes")
        fresh = new_case(app, area=MOMBASA, at=now, category="other")
        change(app, overdue, lambda s, c: setattr(c, "status", CaseStatus.ESCALATED))
        change(app, fresh, lambda s, c: setattr(c, "alert_pending_since", now))
        change(
            app,
            fresh,
            lambda s, c: request_callback(s, vault, c, PHONE, CallbackTime.MORNING, now=now),
        )


PHONE = "+254700000778"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_full_pages_weigh_under_60_kb_in_every_language(
    make_staff, console, full_lists, language
):
    make_staff("admin", "admin")
    browser = console()
    browser.sign_in("admin")
    browser.submit(
        "/staff/language", {"lang-language": language, "lang-next": "/staff/"}, page="/staff/"
    )
    stylesheet = browser.get("/staff/static/console.css").data

    for path in (
        "/staff/supervisor",
        "/staff/counts",
        "/staff/counts?first=2025-03-02&last=2026-03-02",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert f'<html lang="{language}"' in html
        assert len(page.data) + len(stylesheet) < LIMIT, (path, len(page.data))
    supervision = browser.get("/staff/supervisor").get_data(as_text=True)
    for name in ("overdue", "unacknowledged", "escalated", "unalerted", "callbacks"):
        assert len(references(section(supervision, name))) == 25, name
