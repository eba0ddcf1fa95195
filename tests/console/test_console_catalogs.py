"""The console's texts are extracted into the shared catalogs and translated in every
language, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "gateway" / "web" / "console"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def console_messages() -> set[str]:
    found: set[str] = set()
    for path in sorted(CONSOLE.glob("*.py")):
        found |= {m[1] for m in extract_from_file("python", str(path), keywords=KEYWORDS)}
    for path in sorted((CONSOLE / "templates").rglob("*.html")):
        found |= {m[1] for m in extract_from_file("jinja2", str(path), keywords=KEYWORDS)}
    return {message for message in found if isinstance(message, str)}


def test_the_shipped_template_holds_every_console_text():
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        template = {message.id for message in read_po(handle)}
    assert {"Log a call", "Save call", "Sign in", "Main concern"} <= console_messages()
    missing = console_messages() - template
    assert not missing, f"run `kinga translate extract && kinga translate update`: {missing}"


@pytest.mark.parametrize("language", ["sw", "fr", "ar", "pt"])
def test_every_console_text_is_translated_with_its_placeholders(language):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    for msgid in console_messages():
        message = catalog.get(msgid)
        assert message is not None and message.string and not message.fuzzy, msgid
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid))
