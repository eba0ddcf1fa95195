"""Splitting a menu or list into pages that fit one USSD screen in the caller's language.

Pages are measured on the real rendered text, in the real encoding (one non-GSM-7 character
makes the whole screen UCS-2, half the room), and must still fit when a re-prompt shows the
error in place of the question. The result depends only on the tree, the items,
the language and the budget, and is cached on the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from dialogs.encoding import ussd_fits, within_segments
from dialogs.render import load_translations, render
from dialogs.screen import Message, Screen, Text

if TYPE_CHECKING:
    from dialogs.tree import Tree

SAMPLE_REFERENCE: Final = "482-177-302"
CACHE_LIMIT: Final = 2048

Pages = list[tuple[int, int]]
Builder = Callable[[Pages, int], Screen]


@dataclass(frozen=True)
class Item:
    """One choice before numbering: what it says, the answer it stores, where it leads."""

    label: Text
    value: str | None
    next: str
    clear: bool = False


def measure_params(screen: Screen, language: str) -> dict[str, str]:
    """Worst-case values for what only the webhook fills in (reference, status)."""
    translations = load_translations(language)
    params = {"reference": SAMPLE_REFERENCE}
    for name, texts in screen.choices.items():
        params[name] = max(texts, key=lambda code: len(translations.gettext(texts[code])))
    return params


def paginate(
    tree: Tree,
    items: list[Item],
    build: Builder,
    language: str,
    budget: int,
    error: Message | None = None,
    fold: bool = False,
    segments: int | None = None,
) -> Pages:
    """Ranges ``(first, last)`` of ``items`` per page; every item is on exactly one page.

    With ``error``, a page must also fit when the error replaces the question, so a re-prompt
    on that page can always say what went wrong (see ``engine.with_error``). With
    ``segments``, a page is one SMS of at most that many segments instead of a USSD screen.
    """
    total = len(items)
    if total == 0:
        return [(0, 0)]
    translations = load_translations(language)
    whole = build([(0, total)], 0)
    params = measure_params(whole, language)
    key = (
        language,
        budget,
        segments,
        fold,
        error and error.msgid,
        render(whole, translations, params),
    )
    cached = tree.page_cache.get(key)
    if cached is not None:
        return list(cached)

    def fits(pages: Pages, page: int) -> bool:
        screen = build(pages, page)
        variants = [screen] if error is None else [screen, replace(screen, text=error)]
        texts = [render(v, translations, params, fold) for v in variants]
        if segments is not None:
            return all(within_segments(text, segments) for text in texts)
        return all(ussd_fits(text, budget) for text in texts)

    pages: Pages = []
    first = 0
    while first < total:
        best = first + 1
        for last in range(first + 1, total + 1):
            rest = [(last, total)] if last < total else []
            if fits([*pages, (first, last), *rest], len(pages)):
                best = last
            else:
                if last < total and fits([*pages, (first, total)], len(pages)):
                    best = total
                break
        pages.append((first, best))
        first = best
    if len(tree.page_cache) >= CACHE_LIMIT:
        tree.page_cache.clear()
    tree.page_cache[key] = tuple(pages)
    return pages
