"""How Kinga's processes log: in production (``KINGA_ENV=production``) or with
``KINGA_LOG_FORMAT=json``, one JSON object a line on standard error (python-json-logger), each
with its time, level, logger, message, the request id and job id it happened under
(``workers.tracing``) and any ``extra=…`` fields; otherwise the usual lines of text.

Every field of every record is masked on its way out (``case_store.masking.MaskingFilter``):
the message, its arguments, each extra field, and a traceback. Each web request gets an id,
taken from ``X-Request-ID`` when that is a safe token (a proxy's), else made here, and echoed
in the answer's ``X-Request-ID``; the jobs it causes log under the same id.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

from case_store.masking import MaskingFilter, mask_log_text
from gateway.config.settings import Settings
from workers.tracing import REQUEST_ID, ContextFilter, accepted_request_id

HEADER = "X-Request-ID"
FIELDS = "{levelname}{name}{message}{request_id}{job_id}"
RENAMED = {"levelname": "level", "name": "logger"}


class MaskedJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, with tracebacks and stacks masked as messages are."""

    def formatException(self, ei: Any) -> str:
        return mask_log_text(str(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return mask_log_text(str(super().formatStack(stack_info)))


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing one masked JSON object a line to ``stream`` (standard error)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        MaskedJsonFormatter(FIELDS, style="{", rename_fields=RENAMED, timestamp="time")
    )
    handler.addFilter(ContextFilter())
    handler.addFilter(MaskingFilter())
    return handler


def configure(settings: Settings) -> None:
    """Set this process's logging from ``settings``: with the JSON format, the root logger
    writes through ``json_handler`` alone, from INFO up. Done once per process."""
    root = logging.getLogger()
    if settings.log_format != "json" or any(
        isinstance(handler.formatter, MaskedJsonFormatter) for handler in root.handlers
    ):
        return
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(logging.INFO)


def gunicorn_logging() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` for JSON lines: its own logs (the master's too) and the
    app's through one ``json_handler``; ``configure`` then finds it in place."""
    handler = {"()": f"{__name__}.json_handler"}
    own = {"level": "INFO", "handlers": ["json"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {"gunicorn.error": own, "gunicorn.access": own},
        "handlers": {"json": handler},
    }


def init_app(app: Flask) -> None:
    """A request id for every request, in the logs and the answer's header."""

    @app.before_request
    def _begin() -> None:
        g.kinga_request_id = accepted_request_id(request.headers.get(HEADER))
        g.kinga_request_token = REQUEST_ID.set(g.kinga_request_id)

    @app.after_request
    def _echo(response: Response) -> Response:
        request_id = g.get("kinga_request_id")
        if request_id:
            response.headers[HEADER] = request_id
        return response

    @app.teardown_request
    def _end(_error: BaseException | None) -> None:
        token = g.pop("kinga_request_token", None)
        if token is not None:
            REQUEST_ID.reset(token)
