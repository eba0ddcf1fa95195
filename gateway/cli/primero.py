"""``kinga primero check|backfill|failures|retry|resume``: the Primero sync from the command
line (docs/primero.md).

``check`` logs in once, reads the module's forms and reports each mapped field the account
cannot write; a check that logs in also lifts a stopped queue. ``backfill`` sends the cases
that were never sent, in batches, from a cursor kept in the database: an interrupted run
resumes where it stopped, and running it twice sends nothing twice (Primero answers 409 to a
case it has). ``failures`` lists the cases Primero refused with its error, ``retry`` sends one
again once fixed, ``resume`` restarts a stopped queue without a check.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from case_store.enums import SyncState
from case_store.models import Case
from case_store.operations.errors import InvalidTransition
from case_store.operations.primero import resume_sync, retry_sync, save_backfill_cursor
from case_store.operations.sync_queue import SYNC_JOB, enter_sync
from case_store.queries.cases import find_case_by_reference
from case_store.queries.primero import (
    backfill_batch,
    backfill_cursor,
    sync_failures,
    sync_stopped,
)
from case_store.references import format_reference
from gateway.runtime import Runtime, runtime
from workers.context import PrimeroSync
from workers.dispatch import dispatch
from workers.failed_jobs import discard, failed_jobs
from workers.primero.check import field_map_problems
from workers.primero.client import LoginRefused, PrimeroError
from workers.primero.sync import RETRY, STOPPED_WAITING, push, schedule

DEFAULT_BATCH = 200
MAX_BATCH = 1000


@click.group("primero")
def primero_group() -> None:
    """Primero: check the connection and field map, send existing cases, see and retry the
    cases Primero refused, restart a stopped sync.

    Example: kinga primero check
    """


def _primero(rt: Runtime) -> PrimeroSync:
    if rt.primero is None:
        raise click.ClickException(
            "Primero is not configured: set KINGA_PRIMERO_URL, KINGA_PRIMERO_USER and "
            "KINGA_PRIMERO_PASSWORD"
        )
    return rt.primero


@primero_group.command("check")
@with_appcontext
def primero_check() -> None:
    """Log in to Primero once, read the case forms of the module and report each mapped field
    the account cannot write. Logging in also restarts a sync stopped by a refused login.

    Example: kinga primero check
    """
    rt = runtime()
    primero = _primero(rt)
    try:
        problems = field_map_problems(primero)
    except LoginRefused as exc:
        raise click.ClickException(
            f"{exc}: check KINGA_PRIMERO_USER and KINGA_PRIMERO_PASSWORD, and that the account "
            "is not locked (Primero locks it for a while after repeated failures)"
        ) from None
    except PrimeroError as exc:
        raise click.ClickException(f"Primero's forms could not be read: {exc}") from None
    click.echo(f"Logged in to {primero.client.url} as the service account.")
    with rt.sessions.begin() as db:
        stopped = sync_stopped(db) is not None
        rows = resume_sync(db, now=datetime.now(UTC)) if stopped else []
    if stopped:
        dispatch(rt.redis, rows)
        click.echo(f"The stopped sync is running again: {len(rows)} case(s) queued.")
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise click.ClickException(f"{len(problems)} mapped field(s) would be dropped by Primero")
    click.echo(f"The field map's {len(primero.fields.fields)} fields can all be written.")


@primero_group.command("backfill")
@click.option(
    "--batch",
    default=DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH),
    help="Cases read and sent per batch; the cursor moves after each.",
)
@click.option("--from-start", is_flag=True, help="Begin again from the first case.")
@with_appcontext
def primero_backfill(batch: int, from_start: bool) -> None:
    """Send to Primero the existing cases never sent (under KINGA_PRIMERO_PUSH), in batches.
    Interrupted, it resumes after the last batch done; a case sent already is not sent again.

    Example: kinga primero backfill --batch 500
    """
    from gateway.providers.installed import build_senders

    rt = runtime()
    primero = _primero(rt)
    policy = rt.settings.primero_push
    context = rt.job_context(build_senders(rt.settings))
    totals: Counter[str] = Counter()
    with rt.sessions() as db:
        cursor = 0 if from_start else backfill_cursor(db)
    while True:
        now = datetime.now(UTC)
        with rt.sessions.begin() as db:
            if sync_stopped(db) is not None:
                raise click.ClickException(_STOPPED)
            cases = backfill_batch(db, after_id=cursor, limit=batch)
            if not cases:
                break
            chosen = [case for case in cases if _to_send(case) and policy.pushes(case.risk_level)]
            for case in chosen:
                enter_sync(case)
            ids = [case.id for case in chosen]
            last = cases[-1].id
            totals["skipped"] += len(cases) - len(chosen)
        pushed = push(context, primero, ids, now=now)
        dispatch(rt.redis, pushed.alerts)
        for case_id, outcome in pushed.outcomes.items():
            totals[outcome.what] += 1
            if outcome.what == RETRY and outcome.retry_in is not None:
                schedule(rt.redis, case_id, outcome.retry_in)
        if any(outcome.what == STOPPED_WAITING for outcome in pushed.outcomes.values()):
            _summary(totals)
            raise click.ClickException(_STOPPED)
        with rt.sessions.begin() as db:
            save_backfill_cursor(db, last, now=now)
        cursor = last
    _summary(totals)


_STOPPED = (
    "the sync is stopped: Primero refused the login. Fix the account, run `kinga primero "
    "check`, then run the backfill again (it resumes where it stopped)"
)


def _to_send(case: Case) -> bool:
    return case.primero_sync_state not in (SyncState.SYNCED, SyncState.FAILED)


def _summary(totals: Counter[str]) -> None:
    words = ", ".join(f"{count} {what}" for what, count in sorted(totals.items()))
    click.echo(f"Backfill: {words or 'nothing to send'}.")


@primero_group.command("failures")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per case.")
@with_appcontext
def primero_failures(as_json: bool) -> None:
    """List the cases Primero refused, with its error: fix the cause, then `kinga primero
    retry REF`.

    Example: kinga primero failures --json
    """
    rt = runtime()
    with rt.sessions() as db:
        rows = [
            {
                "reference": format_reference(case.reference),
                "primero_id": case.primero_id,
                "attempts": case.primero_attempts,
                "last_attempt_at": (
                    case.primero_last_attempt_at.isoformat()
                    if case.primero_last_attempt_at
                    else None
                ),
                "error": case.primero_error,
            }
            for case in sync_failures(db)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("No case is waiting on a Primero failure.")
        return
    for row in rows:
        click.echo(f"{row['reference']}  {row['last_attempt_at'] or '-'}  {row['error']}")


@primero_group.command("retry")
@click.argument("reference")
@with_appcontext
def primero_retry(reference: str) -> None:
    """Send the case REFERENCE, which Primero refused, again (after fixing the cause); its
    failed job leaves the failed jobs.

    Example: kinga primero retry 482-177-302
    """
    rt = runtime()
    with rt.sessions.begin() as db:
        case = find_case_by_reference(db, reference)
        if case is None:
            raise click.ClickException("no case with that reference")
        try:
            row = retry_sync(db, case, actor=None, now=datetime.now(UTC))
        except InvalidTransition as exc:
            raise click.ClickException(str(exc)) from None
        shown = format_reference(case.reference)
        case_id = case.id
    dispatch(rt.redis, [row])
    for job in failed_jobs(rt.redis):
        if job.job == SYNC_JOB and job.args == {"case_id": case_id}:
            discard(rt.redis, job.id)
    click.echo(f"Case {shown} queued for Primero again.")


@primero_group.command("resume")
@with_appcontext
def primero_resume() -> None:
    """Restart the sync after Primero refused the login, once the account is fixed (`kinga
    primero check` does the same after logging in), and send the cases that waited.

    Example: kinga primero resume
    """
    rt = runtime()
    _primero(rt)
    with rt.sessions.begin() as db:
        was = sync_stopped(db)
        rows = resume_sync(db, now=datetime.now(UTC))
    dispatch(rt.redis, rows)
    state = "was stopped" if was is not None else "was running"
    click.echo(f"The sync {state}; {len(rows)} case(s) queued for Primero.")
