"""Screens to text, in the caller's language.

``render`` returns the text without the ``CON``/``END`` prefix. Catalogs come from
``locales/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo`` (build output, ``make``) is
used when it is at least as new as the ``.po``, otherwise the ``.po`` is compiled in memory, so
a fresh checkout renders every language without a build step. The fallback chain for
``ar_EG`` is ``ar_EG → ar → English`` (English text is the message id itself).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from dialogs.encoding import GSM7_CHARACTERS, is_gsm7
from dialogs.screen import Line, Message, Screen, Text

LOCALES_DIR: Final = Path(__file__).resolve().parent.parent / "locales"
DOMAIN: Final = "messages"
_NO_PARAMS: Final[Mapping[str, str]] = MappingProxyType({})


def N_(message: str) -> str:
    """Mark a message id in Python code for extraction; it is translated where it is shown."""
    return message


class RenderError(KeyError):
    """A placeholder had no value: a bug in the caller, never the reporter's fault."""


def language_chain(language: str) -> list[str]:
    """``pt-BR`` → ``["pt_BR", "pt"]``: the catalogs to try, most specific first."""
    code = language.replace("-", "_").strip()
    chain = [code]
    if "_" in code:
        chain.append(code.split("_", 1)[0])
    return [item for item in chain if item]


@functools.lru_cache(maxsize=64)
def load_translations(language: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """The catalog for ``language`` with its fallbacks; unknown languages render English."""
    result: Translations | None = None
    for code in language_chain(language):
        catalog = _load_catalog(Path(locales_dir) / code / "LC_MESSAGES")
        if catalog is None:
            continue
        if result is None:
            result = catalog
        else:
            result.add_fallback(catalog)
    return result if result is not None else Translations()


def _load_catalog(folder: Path) -> Translations | None:
    po_path = folder / f"{DOMAIN}.po"
    mo_path = folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if not po_path.exists():
        return None
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=folder.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def render(
    screen: Screen,
    translations: Translations,
    params: Mapping[str, str] = _NO_PARAMS,
    fold: bool = False,
) -> str:
    """The screen's text in the catalog's language, without the ``CON``/``END`` prefix.

    ``params`` carries what only the webhook knows, e.g. ``{"reference": "482-177-302"}`` after
    it applied ``open_case``, or ``{"status": "received"}`` after ``lookup_case``.
    ``fold`` (a per-language deployment choice, ``Context.fold_accents``) writes accented
    letters without their accent when that keeps the screen in GSM-7 (see ``fold_to_gsm7``).
    """
    outer = dict(params)
    for name, texts in screen.choices.items():
        code = outer.get(name)
        if code is not None and code in texts:
            outer[name] = translations.gettext(texts[code])
    # Each line as (its number, what it says): a right-to-left mark goes between the two.
    parts: list[tuple[str, str]] = []
    if screen.error is not None:
        parts.append(("", _message(screen.error, translations, outer)))
    parts.append(("", _message(screen.text, translations, outer)))
    parts.extend(("", _line(line, translations, outer)) for line in screen.lines)
    parts.extend(
        (f"{choice.key}. ", _text(choice.label, translations, outer)) for choice in screen.options
    )
    parts = [(key, body) for key, body in parts if key or body]
    if _strong(parts[0][1]) in _RIGHT_TO_LEFT:  # the screen's language reads right to left
        parts = [(key, _right_to_left(body)) for key, body in parts]
    text = "\n".join(key + body for key, body in parts)
    return fold_to_gsm7(text) if fold else text


RLM: Final = "\u200f"
_RIGHT_TO_LEFT: Final = frozenset({"R", "AL"})


def _strong(text: str) -> str:
    """The bidirectional class of the first strong character ("" when there is none)."""
    classes = (unicodedata.bidirectional(char) for char in text)
    return next((found for found in classes if found in {"L", "R", "AL"}), "")


def _right_to_left(line: str) -> str:
    """A line of a right-to-left screen, marked when it has no right-to-left letter before
    any left-to-right one (``5-11``, ``English``, a Latin area name).

    Phones that set the direction of each line by its first strong character would show such
    a line left to right, aligned and numbered on the other side from the rest. The mark
    (U+200F, one UCS-2 unit, which the screen needs anyway) goes after the option number,
    so the line still begins with the number the caller types.
    """
    return line if _strong(line) in _RIGHT_TO_LEFT else RLM + line


def fold_to_gsm7(text: str) -> str:
    """``Criança à espera`` → ``Crianca à espera``: drop accents GSM-7 lacks, keep the rest.

    A screen with one ``ç`` or ``ã`` is sent as UCS-2 and holds 80 characters instead of 160;
    Portuguese and French readers on basic phones are used to unaccented text. Letters GSM-7
    has (``é è à ù ì ò Ç É ä ö ñ ü``) are kept. When the text would still need UCS-2 (Arabic,
    or a letter with no GSM-7 base) it is returned unchanged: folding would lose for nothing.
    """
    if is_gsm7(text):
        return text
    folded = "".join(
        char if char in GSM7_CHARACTERS else unicodedata.normalize("NFD", char)[0] for char in text
    )
    return folded if is_gsm7(folded) else text


def _line(line: Line, translations: Translations, outer: Mapping[str, str]) -> str:
    return f"{_text(line.label, translations, outer)}: {line.value}"


def _text(text: Text, translations: Translations, outer: Mapping[str, str]) -> str:
    return text if isinstance(text, str) else _message(text, translations, outer)


def _message(message: Message, translations: Translations, outer: Mapping[str, str]) -> str:
    values = dict(outer)
    values.update(
        (name, _text(value, translations, outer)) for name, value in message.params.items()
    )
    translated = translations.gettext(message.msgid)
    try:
        return translated.format_map(values)
    except KeyError as error:
        raise RenderError(
            f"no value for placeholder {error.args[0]!r} in {message.msgid!r}"
        ) from error
