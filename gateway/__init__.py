"""Kinga's web gateway: thin provider webhooks, health checks, the staff console and the JSON
API.

Every response carries the same security headers, error pages included: nothing here is meant
to be framed, sniffed into another type, or to leak its address to another site, and pages
run only the scripts and styles served from here (no inline code: the CSP allows none).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.config.settings import Settings

if TYPE_CHECKING:
    from gateway.providers.provider import Provider

MAX_CONTENT_LENGTH = 64 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

log = logging.getLogger("kinga")


def create_app(
    settings: Settings | None = None, providers: tuple[Provider, ...] | None = None
) -> Flask:
    """The app, with the webhooks of ``providers`` (by default the installed ones)."""
    from case_store.masking import install_log_masking
    from gateway import logs
    from gateway.cli import register_commands
    from gateway.providers.installed import INSTALLED
    from gateway.providers.primero import webhook as primero_webhook
    from gateway.runtime import EXTENSION, Runtime
    from gateway.web import api, console, db, health, metrics, simulator

    settings = settings or Settings.from_env()
    logs.configure(settings)
    for warning in settings.warnings:
        log.warning("unsafe for production, accepted for a pilot: %s", warning)
    # No app-wide static folder: the only static files are the simulator's, off in production.
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        KINGA_ENV=settings.env,
    )
    install_log_masking()
    logs.init_app(app)
    app.extensions[EXTENSION] = Runtime.build(settings)
    if settings.trusted_proxies:
        # The client's address (sign-in throttling, audit) and scheme from the proxies' headers.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    installed = INSTALLED if providers is None else providers
    for provider in installed:
        if provider.blueprint is not None:
            app.register_blueprint(provider.blueprint)
    app.register_blueprint(primero_webhook.bp)
    metrics.time_webhooks(app, installed)
    simulator.init_app(app, settings)
    db.init_app(app)
    console.init_app(app, settings)
    api.init_app(app)
    app.register_error_handler(HTTPException, _error)
    app.after_request(_security_headers)
    register_commands(app)
    log.setLevel(logging.INFO)
    return app


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error(error: HTTPException) -> Response | tuple[str, int, dict[str, str]]:
    """The JSON API's clients read its errors in its own format; everyone else, plain text."""
    from gateway.web import api

    if api.serves(request.path):
        return api.error_response(error)
    return _plain_error(error)


def _plain_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    """Every refusal is a short plain-text reason: no HTML page, no traceback."""
    reason = error.description or error.name
    return (
        f"{error.code} {error.name}: {reason}\n",
        error.code or 500,
        {"Content-Type": "text/plain; charset=utf-8"},
    )
