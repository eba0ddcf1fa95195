"""The staff console under ``/staff``: server-rendered pages for hotline agents, caseworkers,
supervisors and administrators, light enough for a shared office link.

Every page works without JavaScript and weighs under 60 KB with its stylesheet (the only one,
served from ``static/`` with a content hash in its URL, so a browser fetches it once). No
inline script or style: the content security policy allows none.

The console is one blueprint, ``console``; each page module listed in ``PAGES`` declares a
blueprint nested in it and the menu links it adds to the shared layout (``pages.Page``). A new
page (service providers, case lists, the supervisor's view, daily counts) is a module here and
one entry in ``PAGES``. What the parent blueprint does for every page:

- sign-in: every page but the sign-in form and the stylesheet needs a signed-in account
  (Flask-Login; ``accounts.py``);
- CSRF: every POST carries the session's token (Flask-WTF), or is refused with 400 and
  changes nothing but the signed-in account's trail, which records the refusal;
- a database session per request (``gateway/web/db.py``, the API's too); a view commits what
  it writes;
- the interface language: the account's choice (Flask-Babel over ``locales/``; ``i18n.py``).

Who may open which page is decided by ``case_store.permissions`` (``accounts.requires``); a
refusal is audited on the account's trail and answered 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from flask import Blueprint, Flask, Request, current_app, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden, HTTPException, TooManyRequests
from werkzeug.wrappers import Response

from case_store.permissions import role_allows
from gateway.config.settings import Settings
from gateway.web.console import (
    accounts,
    auth,
    calls,
    cases,
    counts,
    home,
    i18n,
    roster,
    services,
    supervisor,
    tokens,
    users,
)
from gateway.web.console.assets import asset_url, max_age
from gateway.web.console.pages import MenuItem, Page
from gateway.web.console.words import ROLES

URL_PREFIX: Final = "/staff"
# A working shift; the lifetime restarts with each request (Flask refreshes the cookie).
SESSION_LIFETIME: Final = timedelta(hours=8)
# Pages anyone may open: the sign-in form, and the stylesheet it uses.
PUBLIC_ENDPOINTS: Final = frozenset({"console.auth.login", "console.static"})
MENU: Final = "kinga_console_menu"

PAGES: tuple[Page, ...] = (
    home.PAGE,
    auth.PAGE,
    calls.PAGE,
    cases.PAGE,
    supervisor.PAGE,
    counts.PAGE,
    users.PAGE,
    roster.PAGE,
    services.PAGE,
    tokens.PAGE,
)


class ConsoleBlueprint(Blueprint):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        return max_age(filename)


bp = ConsoleBlueprint(
    "console", __name__, url_prefix=URL_PREFIX, template_folder="templates", static_folder="static"
)
for _page in PAGES:
    bp.register_blueprint(_page.blueprint)
csrf = CSRFProtect()


class ConsoleSessions(SecureCookieSessionInterface):
    """Signed cookie sessions for the console's pages only: a provider's webhook (a USSD hop
    every few seconds per caller) carries no cookie, and needs no serializer built for it."""

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:
        if not req.path.startswith(URL_PREFIX):
            return None  # Flask's null session: readable, empty, never written
        return super().open_session(app, req)


def init_app(app: Flask, settings: Settings) -> None:
    """Register the console and what it needs on ``app``."""
    app.session_interface = ConsoleSessions()
    app.config.update(
        SESSION_COOKIE_NAME="kinga_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # Every console POST is checked below; webhooks and the simulator carry no token.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as the session: a call form may stay open a long while.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    accounts.init_app(app)
    i18n.init_app(app)
    app.extensions[MENU] = tuple(item for page in PAGES for item in page.menu)
    app.register_blueprint(bp)


@bp.before_request
def _guard() -> Any:
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return accounts.login_manager.unauthorized()


@bp.after_request
def _not_kept(response: Response) -> Response:
    """Pages show case and account data: a shared office computer keeps none of them (the
    back button after signing out shows nothing). The stylesheet is cached (``assets``)."""
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _layout() -> dict[str, Any]:
    values: dict[str, Any] = {"asset_url": asset_url, **i18n.layout()}
    if not current_user.is_authenticated:
        return values | {"menu": [], "me": None}
    me = accounts.staff()
    items: tuple[MenuItem, ...] = current_app.extensions[MENU]
    shown = [item for item in items if item.action is None or role_allows(me, item.action)]
    language_form = auth.LanguageForm(
        formdata=None, prefix=auth.LANGUAGE_PREFIX, language=values["lang"], next=request.path
    )
    language_form.language.choices = i18n.language_choices()
    return values | {
        "menu": shown,
        "me": me,
        "role_names": ROLES,
        "language_form": language_form,
        "logout_form": auth.LogoutForm(formdata=None, prefix=auth.LOGOUT_PREFIX),
    }


# The refusal's name on the account's trail for a post without the session's token.
CSRF_REFUSED: Final = "csrf_token"


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    """Refused, and put on the signed-in account's trail: a form posted through someone's
    browser from another site is worth a supervisor's eye."""
    if current_user.is_authenticated:
        accounts.record_refused(CSRF_REFUSED)
    return _error_page(error, 400)


@bp.errorhandler(Forbidden)
def _forbidden(error: Forbidden) -> tuple[str, int]:
    return _error_page(error, 403)


@bp.errorhandler(TooManyRequests)
def _too_many(error: TooManyRequests) -> tuple[str, int]:
    return _error_page(error, 429)


def _error_page(error: HTTPException, code: int) -> tuple[str, int]:
    return render_template("console/error.html", code=code), code
