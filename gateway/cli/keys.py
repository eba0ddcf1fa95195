"""``kinga keys rotate``: re-encrypt every encrypted column under the first key, resumably."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from gateway.runtime import runtime


@click.group("keys")
def keys_group() -> None:
    """Encryption keys (KINGA_ENCRYPTION_KEYS: the first encrypts, all decrypt).

    Example: kinga keys rotate
    """


@keys_group.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--max-batches",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many batches; the next run resumes where this one stopped.",
)
@with_appcontext
def keys_rotate(batch_size: int, max_batches: int | None) -> None:
    """Re-encrypt every encrypted column under the first key, in batches, resumably.

    Put the new key first in KINGA_ENCRYPTION_KEYS and keep the old ones until this finishes;
    the service keeps running meanwhile. Each batch is committed with its progress.

    Example: kinga keys rotate --batch-size 1000
    """
    from case_store.operations.keys import rotate_batch, start_or_resume

    rt = runtime()
    if len(rt.settings.encryption_keys) < 2:
        click.echo("note: only one key is configured; rows are re-encrypted under it", err=True)
    batches, resumed_run, finished = 0, False, False
    while max_batches is None or batches < max_batches:
        with rt.sessions.begin() as session:
            run, resumed = start_or_resume(session, now=datetime.now(UTC))
            resumed_run = resumed_run or (resumed and batches == 0)
            visited = rotate_batch(session, rt.vault, run, now=datetime.now(UTC), size=batch_size)
            run_id, counts = run.id, dict(run.counts)
        if visited == 0:
            finished = True
            break
        batches += 1
    click.echo(
        json.dumps(
            {
                "run": run_id,
                "resumed": resumed_run,
                "finished": finished,
                "batches": batches,
                "rotated": counts,
            }
        )
    )
