"""The console's language: Flask-Babel over the same catalogs as the dialogs (``locales/``).

The language is the signed-in account's choice (``User.console_language``), else the one chosen
on the sign-in page (kept in the session cookie), else the deployment's default; only the
profile's enabled languages count. Right-to-left languages (Arabic) set ``dir="rtl"`` on the
page; the stylesheet uses logical properties only, so the layout follows. Dates are shown in
the deployment's time zone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from babel import Locale
from flask import Flask, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _gettext
from flask_login import current_user
from wtforms import SelectChoice

from dialogs.render import DOMAIN, LOCALES_DIR
from gateway.runtime import runtime

SESSION_KEY: Final = "language"

babel = Babel()


def gettext(message: str, **values: Any) -> str:
    """Flask-Babel's ``gettext``, typed: ``message`` in the page's language."""
    return str(_gettext(message, **values))


def enabled() -> tuple[str, ...]:
    return runtime().profile.languages


def console_language() -> str:
    languages = enabled()
    if current_user and current_user.is_authenticated:
        chosen = current_user.user.console_language
        if chosen in languages:
            return str(chosen)
    remembered = session.get(SESSION_KEY)
    if remembered in languages:
        return str(remembered)
    return runtime().profile.default_language


def _time_zone() -> str:
    return runtime().profile.time_zone.key


def init_app(app: Flask) -> None:
    app.config.update(
        BABEL_TRANSLATION_DIRECTORIES=str(LOCALES_DIR),
        BABEL_DOMAIN=DOMAIN,
        BABEL_DEFAULT_LOCALE="en",
    )
    babel.init_app(app, locale_selector=console_language, timezone_selector=_time_zone)


@lru_cache(maxsize=32)
def language_name(code: str) -> str:
    """A language's name in itself: what a reader looks for in a language menu."""
    name = Locale.parse(code).display_name or code
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=32)
def direction(code: str) -> str:
    return "rtl" if Locale.parse(code).text_direction == "rtl" else "ltr"


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, language_name(code)) for code in enabled()]


def area_name(code: str) -> str:
    """An area of the profile as readers of the page's language write it (its code when the
    profile no longer has it)."""
    location = runtime().profile.location(code)
    if location is None:
        return code
    return dict(location.names).get(console_language(), location.name)


def layout() -> dict[str, Any]:
    """What the shared layout shows of the language: the page's, its direction, the choices."""
    code = str(get_locale() or "en")
    return {
        "lang": code,
        "dir": direction(code),
        "languages": [(language, language_name(language)) for language in enabled()],
    }
