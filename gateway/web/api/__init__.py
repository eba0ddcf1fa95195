"""The JSON API under ``/api/v1``, for integrators: cases, their records and the daily counts,
with the console's permissions and audit, through the same named operations.

flask-smorest reads each request through its marshmallow schema (``schemas.py``) and builds the
OpenAPI 3 document served at ``/api/v1/openapi.json`` from those schemas and the views, so the
document is what the code validates. Each module here is one blueprint of ``BLUEPRINTS``;
every view is behind a bearer token (``auth.py``), and every error under the prefix, a 404 for
an address no view serves included, has the one format of ``errors.py``.
"""

from __future__ import annotations

from typing import Final

from flask import Flask
from flask_smorest import Api, Blueprint

from gateway.web.api import case_records, case_work, cases, counts
from gateway.web.api.auth import authenticate
from gateway.web.api.errors import ErrorSchema, error_response

URL_PREFIX: Final = "/api/v1"
BLUEPRINTS: tuple[Blueprint, ...] = (cases.bp, case_work.bp, case_records.bp, counts.bp)
DESCRIPTION: Final = (
    "Kinga's JSON API. Every request carries `Authorization: Bearer kinga_…`, a token made with "
    "`kinga tokens create` or on the console's API tokens page. Errors are "
    '`{"error": {"code": "…", "message": "…"}}`.'
)


class KingaApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """None of flask-smorest's: the app's own handler answers every error, in the API's
        format under its prefix (``serves``), an address that matches no view included."""


for _blueprint in BLUEPRINTS:
    _blueprint.before_request(authenticate)


def serves(path: str) -> bool:
    return path == URL_PREFIX or path.startswith(URL_PREFIX + "/")


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="Kinga",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=URL_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        },
    )
    api = KingaApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint, url_prefix=URL_PREFIX + blueprint.url_prefix)


__all__ = ["URL_PREFIX", "error_response", "init_app", "serves"]
