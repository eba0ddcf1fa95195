"""``kinga translate extract|update|init|compile``: Babel's catalog commands, run from the
project root so catalogs name files by their relative paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from gateway.config.settings import PROJECT_ROOT


@click.group("translate")
def translate_group() -> None:
    """Message catalogs under locales/ (locales/README.md says when to run what).

    Example: kinga translate extract && kinga translate update
    """


def _babel(command: Callable[[], Any], **options: object) -> None:
    """Run one of Babel's catalog commands from the project root (so catalogs name files by
    their relative paths). A refusal is one line of ours, not pybabel's usage text; Babel
    logs only warnings and errors, as ``pybabel -q`` does."""
    from contextlib import chdir

    from babel.messages.frontend import BaseError

    step = command()
    for name, value in options.items():
        setattr(step, name, value)
    with chdir(PROJECT_ROOT):
        try:
            step.ensure_finalized()
            failed = step.run()
        except (BaseError, OSError) as exc:
            raise click.ClickException(f"translate: {exc}") from None
    if failed:
        raise click.ClickException("translate: the catalogs have errors (listed above)")


@translate_group.command("extract")
def translate_extract() -> None:
    """Extract message ids from the dialog trees, the code and the console's templates into
    locales/messages.pot.

    Example: kinga translate extract
    """
    from babel.messages.frontend import ExtractMessages

    _babel(
        ExtractMessages,
        mapping_file="babel.cfg",
        output_file="locales/messages.pot",
        # A "# Translators: …" comment above a message in the code goes into the catalogs.
        add_comments="Translators:",
        input_paths=["."],
        # The console's form labels are translated when shown (Flask-Babel's lazy_gettext).
        keywords="lazy_gettext",
        no_wrap=True,
        sort_by_file=True,
        project="Kinga",
        version="0.1.0",
        copyright_holder="Kinga contributors",
    )


@translate_group.command("update")
def translate_update() -> None:
    """Merge locales/messages.pot into every language's messages.po.

    Example: kinga translate update
    """
    from babel.messages.frontend import UpdateCatalog

    _babel(
        UpdateCatalog,
        input_file="locales/messages.pot",
        output_dir="locales",
        no_wrap=True,
        ignore_obsolete=True,
    )


@translate_group.command("init")
@click.argument("language")
def translate_init(language: str) -> None:
    """Start a catalog for a new LANGUAGE (then add it to the profile's languages).

    Example: kinga translate init am
    """
    from babel.messages.frontend import InitCatalog

    catalog = PROJECT_ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"
    if catalog.exists():
        raise click.ClickException(
            f"translate: {language} has a catalog already; `kinga translate update` merges "
            "new messages into it"
        )
    _babel(
        InitCatalog,
        input_file="locales/messages.pot",
        output_dir="locales",
        locale=language,
        no_wrap=True,
    )


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile every messages.po into the messages.mo the app loads.

    Example: kinga translate compile
    """
    from babel.messages.frontend import CompileCatalog

    _babel(CompileCatalog, directory="locales")
