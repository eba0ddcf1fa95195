"""The supervisor's view, for supervisors (their areas) and administrators: what needs someone
to look first (overdue cases, then those nobody has acknowledged), escalations, cases whose
alert reached nobody, each caseworker's open and overdue cases, the call-backs callers wait
for with their safest time, and the jobs the workers gave up on, each with a retry button.

Every list is a read of ``case_store.queries`` (``oversight``, ``cases``, ``calls``); a case
links to its page. Failed jobs are ``workers.failed_jobs``, as ``kinga jobs failed|retry`` shows
and retries them: their reasons are masked there and carry no personal data. A retry is a POST,
recorded on the account's trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SubmitField
from wtforms.validators import InputRequired, Length

from case_store.operations import record_job_retry
from case_store.permissions import Action, areas_seen, role_allows
from case_store.queries.calls import waiting_callbacks
from case_store.queries.cases import next_deadline, unalerted_cases
from case_store.queries.missed_calls import waiting_missed_calls
from case_store.queries.oversight import (
    OVERSIGHT_LIMIT,
    escalated_cases,
    overdue_cases,
    unacknowledged_cases,
    workloads,
)
from case_store.references import format_reference
from gateway.runtime import runtime
from gateway.web.console.accounts import requires, staff
from gateway.web.console.call_form import CALLBACKS
from gateway.web.console.i18n import area_name, gettext
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import LEVELS, ROLES
from gateway.web.db import db
from workers.failed_jobs import FailedJob, failed_jobs, retry

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
PAGE = Page(
    bp, (MenuItem("console.supervisor.index", lambda: gettext("Supervision"), Action.OVERSEE),)
)


class RetryForm(FlaskForm):  # type: ignore[misc]
    job_id = HiddenField(validators=[InputRequired(), Length(max=128)])
    submit = SubmitField(_("Retry"))


@bp.get("")
@requires(Action.OVERSEE)
def index() -> str:
    me = staff()
    session = db()
    now = datetime.now(UTC)
    areas = areas_seen(me)
    more = OVERSIGHT_LIMIT + 1  # one more than shown: whether the list goes on
    lists: dict[str, list[Any]] = {
        "overdue": overdue_cases(session, now=now, location_codes=areas, limit=more),
        "unacknowledged": unacknowledged_cases(session, now=now, location_codes=areas, limit=more),
        "escalated": escalated_cases(session, location_codes=areas, limit=more),
        "unalerted": unalerted_cases(session, location_codes=areas, limit=more),
        "callbacks": waiting_callbacks(session, me, limit=more),
        "missed_calls": waiting_missed_calls(session, limit=more),
    }
    jobs: list[FailedJob] | None = []
    may_retry = role_allows(me, Action.RETRY_JOBS)
    if may_retry:
        try:
            jobs = failed_jobs(runtime().redis)
        except redis.RedisError:
            jobs = None  # the page says the queue cannot be reached
    return render_template(
        "console/supervisor.html",
        lists={name: rows[:OVERSIGHT_LIMIT] for name, rows in lists.items()},
        cut={name for name, rows in lists.items() if len(rows) > OVERSIGHT_LIMIT},
        limit=OVERSIGHT_LIMIT,
        workloads=workloads(session, now=now, location_codes=areas),
        jobs=jobs,
        may_retry=may_retry,
        retry_form=RetryForm(formdata=None),
        areas=_areas_named(areas),
        area_name=area_name,
        levels=LEVELS,
        roles=ROLES,
        callback_times={str(key): label for key, label in CALLBACKS.items()},
        format_reference=format_reference,
        when=_when,
        deadline=next_deadline,
    )


@bp.post("/retry")
@requires(Action.RETRY_JOBS)
def retry_job() -> Response:
    """Put one failed job back on its queue, recorded on the account's trail; a job that is no
    longer failed (retried meanwhile, or expired) is said so and nothing is written."""
    form = RetryForm()
    target = url_for(".index", _anchor="jobs")
    connection = runtime().redis
    job_id = form.job_id.data if form.validate_on_submit() else None
    job = next((job for job in failed_jobs(connection) if job.id == job_id), None)
    if job is None:
        flash(gettext("That job is no longer waiting for a retry."), "error")
        return redirect(target)
    session = db()
    record_job_retry(
        session, staff(), job_id=job.id, job=job.job, queue=job.queue, now=datetime.now(UTC)
    )
    queue = retry(connection, job.id)
    if queue is None:
        session.rollback()
        flash(gettext("That job is no longer waiting for a retry."), "error")
        return redirect(target)
    session.commit()
    flash(gettext("The job was put back on the %(queue)s queue.", queue=queue), "saved")
    return redirect(target)


def _when(at: datetime | None) -> str:
    return "" if at is None else str(format_datetime(at, "short"))


def _areas_named(codes: list[str] | None) -> str | None:
    return None if codes is None else ", ".join(area_name(code) for code in codes)
