"""The sync job against the fake Primero: one record per case, whatever retries and duplicate
jobs; 503/429/timeouts retried after Retry-After; 422 parked with Primero's error; 401 stops
the queue and tells the administrators; later changes and assignments follow."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

import pytest
from fakes.primero import RETRY_AFTER
from primero_cases import NARRATIVE, PHONE, open_report, state, sync_rows
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from case_store.enums import ClosureReason, EventKind, MessagePurpose, SyncState
from case_store.models import Case, CaseEvent, Message
from case_store.operations import create_user
from case_store.operations.staff import assign, close
from workers.failed_jobs import failed_jobs
from workers.primero.sync import BACKOFF_BASE, PrimeroRejected, sync_case
from workers.queues import SLOW, queue

ADMIN_PHONE = "+254700999001"


def scheduled(redis_client) -> list[tuple[str, float]]:
    """(job id, seconds from now) of every job waiting on the slow queue's schedule."""
    registry = ScheduledJobRegistry(queue=queue(SLOW, redis_client))
    now = datetime.now(UTC).timestamp()
    return [
        (job_id, redis_client.zscore(registry.key, job_id) - now)
        for job_id in registry.get_job_ids()
    ]


def test_a_new_case_is_created_once_with_our_id_and_the_mapped_lookups(
    rt, fake_primero, primero_jobs
):
    case_id, rows = open_report(rt)
    assert len(rows) == 1

    assert sync_case(case_id) == "synced"
    assert sync_case(case_id) == "up_to_date"  # a duplicate job sends nothing

    after = state(rt, case_id)
    assert after["state"] is SyncState.SYNCED and after["attempts"] == 0
    ((record_id, record),) = fake_primero.records.items()
    assert record_id == after["primero_id"]
    assert record["module_id"] == "primeromodule-cp"
    assert record["protection_concerns"] == ["gbv_survivor", "sexually_exploited"]
    assert record["risk_level"] == "high"
    assert record["urgent_protection_concern"] is False
    assert record["sex"] == "female"
    assert record["location_current"] == "047"
    assert record["narrative"] == NARRATIVE
    assert record["telephone_current"] == PHONE  # the reporter agreed to a call back
    assert record["status"] == "open"
    assert len(fake_primero.requests_to("POST")) == 1
    auth = fake_primero.requests[0].headers["authorization"]
    assert auth.startswith("Basic ")


def test_the_reporters_phone_goes_only_with_their_consent(rt, fake_primero, primero_jobs):
    case_id, _rows = open_report(rt, callback="no", callback_time=None)
    assert sync_case(case_id) == "synced"
    (record,) = fake_primero.records.values()
    assert "telephone_current" not in record


def test_a_create_that_reached_primero_but_not_our_database_is_not_repeated(
    rt, fake_primero, primero_jobs
):
    case_id, _rows = open_report(rt)
    assert sync_case(case_id) == "synced"
    with rt.sessions.begin() as db:  # as if the commit after the create had been lost
        case = db.get(Case, case_id)
        case.primero_synced_revision = None
        case.primero_sync_state = SyncState.PENDING

    assert sync_case(case_id) == "synced"  # Primero answers 409: delivered already

    assert len(fake_primero.records) == 1
    assert [r.path for r in fake_primero.requests_to("POST")] == ["/api/v2/cases"] * 2


def test_two_jobs_at_once_make_one_request_and_one_record(
    rt, fake_primero, primero_jobs, redis_client
):
    case_id, _rows = open_report(rt)
    fake_primero.fail_next("held")  # the first create waits for its answer
    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(sync_case(case_id)))
    first.start()
    while not fake_primero.requests:
        threading.Event().wait(0.01)
    results.append(sync_case(case_id))  # the duplicate finds the case busy
    fake_primero.release()
    first.join()

    assert sorted(results) == ["busy", "synced"]
    assert len(fake_primero.records) == 1
    assert len(fake_primero.requests_to("POST")) == 1
    assert [seconds for _job, seconds in scheduled(redis_client)] != []  # it runs again later
    assert sync_case(case_id) == "up_to_date"


@pytest.mark.parametrize("failure", ["unavailable", "rate_limited"])
def test_503_and_429_are_retried_after_retry_after(
    rt, fake_primero, primero_jobs, redis_client, failure
):
    case_id, _rows = open_report(rt)
    fake_primero.fail_next(failure)

    assert sync_case(case_id) == "retry"
    ((_job, seconds),) = scheduled(redis_client)
    assert int(RETRY_AFTER) - 1 <= seconds <= int(RETRY_AFTER) + 1
    assert state(rt, case_id)["attempts"] == 1 and fake_primero.records == {}

    assert sync_case(case_id) == "synced"  # what the scheduler runs then
    assert len(fake_primero.records) == 1


@pytest.mark.parametrize("failure", ["server_error", "bad_gateway", "slow"])
def test_5xx_and_timeouts_are_retried_with_backoff(
    rt, fake_primero, primero_jobs, redis_client, failure
):
    case_id, _rows = open_report(rt)
    fake_primero.fail_next(failure)

    assert sync_case(case_id) == "retry"  # "slow" answers after the 1 s timeout
    ((_job, seconds),) = scheduled(redis_client)
    assert BACKOFF_BASE - 1 <= seconds <= BACKOFF_BASE + 1

    assert sync_case(case_id) == "synced"
    # A slow create may have reached Primero before the timeout: still one record.
    assert len(fake_primero.records) == 1


def test_a_refused_lookup_parks_the_case_with_primeros_error(
    rt, fake_primero, primero_jobs, primero_runner, caplog
):
    fake_primero.lookups["protection_concerns"] = frozenset({"other"})  # not this instance's
    case_id, _rows = open_report(rt)
    caplog.set_level(logging.INFO)

    with pytest.raises(PrimeroRejected, match="protection_concerns"):
        sync_case(case_id)

    parked = state(rt, case_id)
    assert parked["state"] is SyncState.FAILED
    assert "422" in parked["error"] and "protection_concerns" in parked["error"]
    assert fake_primero.records == {}
    listed = primero_runner.invoke(args=["primero", "failures", "--json"])
    assert listed.exit_code == 0, listed.output
    (failure,) = json.loads(listed.output)
    assert "protection_concerns" in failure["error"]
    # Once the lookup is fixed in Primero, an administrator retries it.
    fake_primero.lookups["protection_concerns"] = frozenset({"gbv_survivor", "sexually_exploited"})
    with rt.sessions() as db:
        reference = db.get(Case, case_id).reference
    retried = primero_runner.invoke(args=["primero", "retry", reference])
    assert retried.exit_code == 0, retried.output
    assert len(sync_rows(rt, case_id)) == 2
    assert sync_case(case_id) == "synced"
    assert len(fake_primero.records) == 1
    assert NARRATIVE not in caplog.text and PHONE not in caplog.text


def test_a_refused_record_shows_on_the_failed_jobs(rt, fake_primero, primero_runner, redis_client):
    fake_primero.lookups["risk_level"] = frozenset({"low"})
    _case_id, _rows = open_report(rt)
    from workers.dispatch import dispatch  # as the request does after its commit

    with rt.sessions() as db:
        from case_store.queries.outbox import undispatched

        rows = undispatched(db, created_before=datetime.now(UTC), limit=50)
    dispatch(rt.redis, rows)
    assert primero_runner.invoke(args=["worker", "--burst"]).exit_code == 0

    reasons = [job.reason for job in failed_jobs(redis_client) if "primero" in job.job]
    assert len(reasons) == 1
    assert "PrimeroRejected" in reasons[0] and "risk_level" in reasons[0]

    fake_primero.lookups["risk_level"] = frozenset({"high", "medium", "low"})
    with rt.sessions() as db:
        reference = db.scalars(select(Case.reference)).one()
    assert primero_runner.invoke(args=["primero", "retry", reference]).exit_code == 0
    assert [job for job in failed_jobs(redis_client) if "primero" in job.job] == []
    assert primero_runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert len(fake_primero.records) == 1


def test_a_refused_login_stops_the_queue_and_tells_the_admins(
    rt, fake_primero, primero_jobs, primero_runner
):
    with rt.sessions.begin() as db:
        create_user(
            db, rt.vault, username="amina", role="admin", phone=ADMIN_PHONE, now=datetime.now(UTC)
        )
    first, _rows = open_report(rt)
    second, _rows = open_report(rt)
    fake_primero.password = "changed-in-primero"

    assert sync_case(first) == "stopped"
    assert sync_case(second) == "stopped"  # no request at all: the queue is stopped

    assert len(fake_primero.requests) == 1 and fake_primero.failed_logins == 1
    assert {state(rt, c)["state"] for c in (first, second)} == {SyncState.STOPPED}
    with rt.sessions() as db:
        alerts = db.scalars(select(Message).where(Message.purpose == MessagePurpose.ALERT)).all()
        assert [m.phone_hash for m in alerts] == [rt.vault.phone_hash(ADMIN_PHONE)]
        assert "kinga primero check" in rt.vault.decrypt(alerts[0].body_encrypted)

    refused = primero_runner.invoke(args=["primero", "check"])
    assert refused.exit_code == 1 and "refused" in refused.output
    assert sync_case(first) == "stopped" and fake_primero.failed_logins == 2

    fake_primero.password = "kinga-sync-new-password"
    rt.primero.client._http.auth = ("kinga-sync", "kinga-sync-new-password")
    checked = primero_runner.invoke(args=["primero", "check"])
    assert checked.exit_code == 0, checked.output
    assert "2 case(s) queued" in checked.output
    assert sync_case(first) == "synced" and sync_case(second) == "synced"
    assert len(fake_primero.records) == 2


def test_resume_restarts_a_stopped_queue(rt, fake_primero, primero_jobs, primero_runner):
    case_id, _rows = open_report(rt)
    fake_primero.fail_next("unauthorized")
    assert sync_case(case_id) == "stopped"

    resumed = primero_runner.invoke(args=["primero", "resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "1 case(s) queued" in resumed.output
    assert sync_case(case_id) == "synced"


def test_later_changes_are_patched_and_assignments_posted(rt, fake_primero, primero_jobs):
    case_id, _rows = open_report(rt)
    assert sync_case(case_id) == "synced"
    now = datetime.now(UTC)
    with rt.sessions.begin() as db:
        admin = create_user(db, rt.vault, username="root", role="admin", phone=None, now=now)
        worker = create_user(
            db,
            rt.vault,
            username="wanjiru",
            role="caseworker",
            phone=None,
            now=now,
            primero_user="wanjiru.k",
        )
        case = db.get(Case, case_id)
        assign(db, case, worker, actor=admin, now=now)
    assert len(sync_rows(rt, case_id)) == 2  # queued by the assignment, after its commit
    assert sync_case(case_id) == "synced"
    with rt.sessions.begin() as db:
        case = db.get(Case, case_id)
        close(db, case, ClosureReason.RESOLVED, actor=db.get(type(admin), admin.id), now=now)
    assert sync_case(case_id) == "synced"

    (record_id,) = fake_primero.records
    assert fake_primero.assigns == [(record_id, "wanjiru.k")]
    assert fake_primero.records[record_id]["status"] == "closed"
    patches = fake_primero.requests_to("PATCH")
    assert len(patches) == 2
    assert all("id" not in json.loads(p.body)["data"] for p in patches)
    assert len(fake_primero.requests_to("POST", "/api/v2/cases/")) == 1  # the assign
    with rt.sessions() as db:
        kinds = [e.kind for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    assert kinds.count(EventKind.PRIMERO_CREATED) == 1


def test_cases_below_the_push_level_stay_here(rt, fake_primero, primero_jobs):
    from dataclasses import replace

    from case_store.primero import PushPolicy

    rt.settings = replace(rt.settings, primero_push=PushPolicy.parse("high"))
    _case_id, rows = open_report(rt, category="other")  # low
    high_id, high_rows = open_report(rt)  # sexual abuse: high
    assert rows == [] and len(high_rows) == 1
    assert sync_case(high_id) == "synced"
    assert len(fake_primero.records) == 1
