"""``kinga jobs``: background jobs that failed, and retrying them (``workers.failed_jobs``).

The listing shows what failed and why without personal data: the job's function, queue and
ids, and the exception's class and first line with numbers masked, never a traceback.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from gateway.runtime import runtime
from workers.failed_jobs import failed_jobs, retry, retry_all


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs that failed: list them with their reason, put them back on their queue.

    Example: kinga jobs failed
    """


@jobs_group.command("failed")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per failed job.")
@with_appcontext
def jobs_failed(as_json: bool) -> None:
    """List failed jobs on every queue, oldest failure first: id, job, queue, when, reason.

    Example: kinga jobs failed --json
    """
    jobs = failed_jobs(runtime().redis)
    if as_json:
        click.echo(json.dumps([job.as_dict() for job in jobs], ensure_ascii=False))
        return
    if not jobs:
        click.echo("No failed jobs.")
        return
    for job in jobs:
        when = job.failed_at.isoformat(timespec="seconds") if job.failed_at else "-"
        click.echo(f"{job.id}  {job.queue}  {when}  {job.job}  {job.reason}")


@jobs_group.command("retry")
@click.argument("job_id", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every failed job.")
@with_appcontext
def jobs_retry(job_id: str | None, every: bool) -> None:
    """Put a failed job (JOB_ID, from `kinga jobs failed`), or --all of them, back on its
    queue; a worker runs it again. Kinga's jobs are idempotent: nothing is done twice.

    Example: kinga jobs retry outbox-42
    """
    if (job_id is None) == (not every):
        raise click.UsageError("give one JOB_ID or --all")
    connection = runtime().redis
    if every:
        click.echo(f"{retry_all(connection)} failed job(s) put back on their queue.")
        return
    assert job_id is not None
    queue_name = retry(connection, job_id)
    if queue_name is None:
        raise click.ClickException(
            f"no failed job {job_id!r}; `kinga jobs failed` lists them. Nothing changed."
        )
    click.echo(f"{job_id} put back on the {queue_name} queue.")
