"""``kinga areas list``, and how every command reads an area it is given.

An area is given as its code as listed (``047``), the code without leading zeros (``47``) or
its name in any case (``Nairobi``); anything else is refused with a hint
(``Profile.find_area``), never silently matched against nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import click
from flask.cli import with_appcontext

from gateway.config.profile import Profile, UnknownArea
from gateway.runtime import runtime


def area_codes(profile: Profile, texts: Iterable[str], option: str = "--area") -> list[str]:
    """The codes of the areas ``texts`` name, each once, in the order given."""
    try:
        return list(dict.fromkeys(profile.find_area(text).code for text in texts))
    except UnknownArea as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.group("areas")
def areas_group() -> None:
    """The deployment's areas (the profile's locations).

    Example: kinga areas list
    """


@areas_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One line of JSON (default: indented).")
@with_appcontext
def areas_list(as_json: bool) -> None:
    """Print every area's code and name.

    Example: kinga areas list --json
    """
    rows = [{"code": loc.code, "name": loc.name} for loc in runtime().profile.locations]
    click.echo(json.dumps(rows, indent=None if as_json else 2, ensure_ascii=False))
