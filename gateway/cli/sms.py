"""``kinga sms count``: what a text costs when sent (encoding, characters, segments)."""

from __future__ import annotations

import click


@click.group("sms")
def sms_group() -> None:
    """SMS helpers.

    Example: kinga sms count "Your reference is 482-177-302."
    """


@sms_group.command("count")
@click.argument("text")
def sms_count(text: str) -> None:
    """Print the encoding, characters and segments TEXT takes when sent (JSON).

    Look-alikes (curly quotes, dashes, odd spaces) are replaced first, as they are on sending.

    Example: kinga sms count "Ripoti yako imepokelewa."
    """
    import json

    from dialogs.encoding import analyse, normalise

    result = analyse(normalise(text))
    click.echo(
        json.dumps(
            {
                "encoding": result.encoding,
                "characters": result.characters,
                "segments": result.segments,
            },
            ensure_ascii=False,
        )
    )
