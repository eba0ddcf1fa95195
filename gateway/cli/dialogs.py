"""``kinga dialogs check``: the tree in every enabled language, with each question's hops."""

from __future__ import annotations

import click


@click.group("dialogs")
def dialogs_group() -> None:
    """Dialog trees.

    Example: kinga dialogs check
    """


@dialogs_group.command("check")
def dialogs_check() -> None:
    """Validate the tree and every screen in every enabled language; print each question's
    worst-case hops (numbers pressed, over USSD and SMS) and every problem.

    Fails when a screen overflows, a text is not translated, or a question takes more hops than
    the profile's ussd.max_hops_per_question.

    Example: kinga dialogs check
    """
    from dialogs.tree import TreeError, default_tree_path
    from gateway.config.profile import ProfileError, load_profile
    from gateway.config.settings import Settings
    from gateway.runtime import dialog_check

    try:
        profile = load_profile(Settings.from_env().deployment)
    except ProfileError as exc:
        for problem in exc.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the profile") from None
    try:
        _tree, result = dialog_check(profile)
    except TreeError as exc:
        for problem in exc.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the dialogs") from None
    click.echo(hops_table(result.hops, profile.languages, profile.max_hops))
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} problem(s) in the dialogs")
    languages = ", ".join(profile.languages)
    click.echo(f"dialogs OK: {default_tree_path().name} in {languages}")


def hops_table(
    hops: dict[tuple[str, str], dict[str, int]], languages: tuple[str, ...], limit: int
) -> str:
    """Worst-case hops per question (rows) and channel × language (columns)."""
    channels = ("ussd", "sms")
    questions = list(dict.fromkeys(q for found in hops.values() for q in found))
    width = max((len(q) for q in questions), default=8) + 2
    cell = max(len(language) for language in languages) + 1
    heads = ["".join(f"{lang:>{cell}}" for lang in languages) for _ in channels]
    lines = [
        f"Worst-case hops to answer each question, by numbers alone (limit {limit}):",
        " " * width
        + "  ".join(f"{ch.upper():<{len(h)}}" for ch, h in zip(channels, heads, strict=True)),
        " " * width + "  ".join(heads),
    ]
    for question in questions:
        row = [
            "".join(
                f"{hops.get((channel, lang), {}).get(question, '-'):>{cell}}" for lang in languages
            )
            for channel in channels
        ]
        lines.append(f"{question:<{width}}" + "  ".join(row))
    return "\n".join(line.rstrip() for line in lines)
