"""One error format for everything under ``/api/v1``, whatever raised it (a view, the
validation of a request, routing, a crash): ``{"error": {"code": …, "message": …}}``, with the
fields refused by validation under ``fields``. The same schema documents every error response
of the OpenAPI document (``Api.ERROR_SCHEMA``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final, NoReturn, TypeVar

import marshmallow as ma
from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

# The code of an error raised without one of its own, by status.
CODES: Final[Mapping[int, str]] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
}
MESSAGES: Final[Mapping[int, str]] = {
    404: "Nothing is at this address.",
    405: "This address does not take this method.",
    422: "The request is not valid: see fields.",
    500: "Something went wrong on the server; nothing was saved.",
}


V = TypeVar("V", bound=Callable[..., Any])
# What every view may answer besides its own: no token, or a role that does not allow it.
ANY_VIEW: Final = (401, 403)
# ... and a view of one case: no case has this reference.
ON_A_CASE: Final = (*ANY_VIEW, 404)
# ... and an update of one: the case's state, and its ETag.
UPDATE: Final = (*ON_A_CASE, 409, 412, 428)


def answers(blueprint: Any, statuses: tuple[int, ...]) -> Callable[[V], V]:
    """Document that the view may answer these errors (in the OpenAPI document)."""

    def decorate(view: V) -> V:
        for status in statuses:
            view = blueprint.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, for programs"})
    message = ma.fields.String(required=True, metadata={"description": "For people, in English"})
    # "fields" in the body (a Schema has an attribute of that name already).
    refused = ma.fields.Dict(
        data_key="fields",
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        metadata={"description": "What validation refused, by location and field"},
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetail, required=True)


class ApiError(HTTPException):
    """An error with its own code and message (``fail``)."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = status
        self.data: dict[str, Any] = {"code": code, "message": message}
        if headers:
            self.data["headers"] = dict(headers)


def fail(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> NoReturn:
    raise ApiError(status, code, message, headers)


def error_response(error: HTTPException) -> Response:
    """``error`` in the API's format, with the headers it carries (``Allow`` on a 405,
    ``WWW-Authenticate`` on a 401)."""
    status = error.code or 500
    data: Mapping[str, Any] = getattr(error, "data", None) or {}
    detail: dict[str, Any] = {
        "code": data.get("code") or CODES.get(status, "error"),
        "message": data.get("message") or MESSAGES.get(status) or error.description or "",
    }
    if "messages" in data:  # webargs' validation errors, by location then field
        detail["fields"] = data["messages"]
        if status == 422:
            detail["message"] = MESSAGES[422]
    response = jsonify({"error": detail})
    response.status_code = status
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    response.headers.update(data.get("headers") or {})
    return response
