"""``kinga retention purge``: blank personal data past its retention period."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from gateway.runtime import runtime


@click.group("retention")
def retention_group() -> None:
    """Data retention (periods per data kind in the deployment profile).

    Example: kinga retention purge
    """


@retention_group.command("purge")
@click.option(
    "--now",
    "at",
    default=None,
    help="ISO 8601 time with a zone to purge as of (to replay a missed day).",
)
@with_appcontext
def retention_purge(at: str | None) -> None:
    """Blank personal data past its retention period; prints the counts per kind (JSON).

    Example: kinga retention purge
    """
    from workers.retention import purge_now

    rt = runtime()
    moment = datetime.now(UTC)
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter("not an ISO 8601 time", param_hint="--now") from None
        if moment.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2027-01-01T00:00:00+00:00")
    counts = purge_now(rt.sessions, rt.profile.retention, now=moment)
    click.echo(json.dumps({"at": moment.isoformat(), "purged": counts}))
