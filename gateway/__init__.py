"""Kinga's web gateway: thin provider webhooks, health checks and (later) the staff console."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from workers.settings import Settings

MAX_CONTENT_LENGTH = 64 * 1024


def create_app(settings: Settings | None = None) -> Flask:
    from case_store.masking import install_log_masking
    from gateway import health, simulator, sms, ussd
    from gateway.cli import register_commands
    from gateway.runtime import EXTENSION, Runtime

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        KINGA_ENV=settings.env,
    )
    install_log_masking()
    app.extensions[EXTENSION] = Runtime.build(settings)
    app.register_blueprint(health.bp)
    app.register_blueprint(ussd.bp)
    app.register_blueprint(sms.bp)
    simulator.init_app(app, settings)
    app.register_error_handler(HTTPException, _plain_error)
    register_commands(app)
    logging.getLogger("kinga").setLevel(logging.INFO)
    return app


def _plain_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    """Every refusal is a short plain-text reason: no HTML page, no traceback."""
    reason = error.description or error.name
    return (
        f"{error.code} {error.name}: {reason}\n",
        error.code or 500,
        {"Content-Type": "text/plain; charset=utf-8"},
    )
