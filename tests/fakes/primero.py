"""A fake Primero v2 API, as its documentation describes it, over real HTTP on 127.0.0.1.

- HTTP Basic on every request; a wrong password is 401 and counts as a failed login. After
  ``LOCK_AFTER`` failed logins the account is locked: 401 even with the right password.
- ``POST /api/v2/cases`` with ``{"data": {...}}``: with an ``id``, 204 when created and 409
  when that id exists; without, 200 with the stored record (its new id). ``module_id`` is
  required (422 without).
- ``PATCH /api/v2/cases/<id>``: merged; 200 with the record, 404 for an unknown id.
- ``POST /api/v2/cases/<id>/assigns`` with ``{"data": {"transitioned_to": user}}``.
- ``GET /api/v2/forms?record_type=case&module_id=…``: the forms the account sees.
- Fields that are not in those forms, or that the account cannot edit, are dropped silently.
- Select fields take lookup ids: another value is 422 with ``{"errors": [...]}``.
- Programmed failures (``fail_next``): 503 with ``Retry-After``, 429, 500, 502, a slow answer,
  one held back until ``release``, 401.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from case_store.categories import PRIMERO_PROTECTION_CONCERNS
from fakes.server import SLOW_SECONDS, FakeServer, Recorded, Reply

JSON = "application/json"
MODULE = "primeromodule-cp"
LOCK_AFTER = 6
RETRY_AFTER = "7"
# The system fields every record takes, outside any form.
SYSTEM_FIELDS = frozenset({"id", "module_id"})
# The case fields of the fake's forms (name → editable by the service account).
DEFAULT_FIELDS: dict[str, bool] = {
    "created_at": True,
    "risk_level": True,
    "urgent_protection_concern": True,
    "protection_concerns": True,
    "sex": True,
    "age": True,
    "location_current": True,
    "consent_for_services": True,
    "disclosure_other_orgs": True,
    "narrative": True,
    "telephone_current": True,
    "status": True,
    "workflow": False,  # Primero moves it itself
}


def _error(status: int, resource: str, message: str, detail: str | None = None) -> Reply:
    error: dict[str, Any] = {"code": status, "resource": resource, "message": message}
    if detail is not None:
        error["detail"] = detail
    return Reply(status, json.dumps({"errors": [error]}).encode(), JSON)


class FakePrimero(FakeServer):
    failures = (
        "unavailable",  # 503 with Retry-After (an administrator applies configuration)
        "rate_limited",  # 429 with Retry-After
        "server_error",  # 500
        "bad_gateway",  # 502
        "slow",  # the real answer, after SLOW_SECONDS
        "held",  # the real answer, kept back until ``release``
        "unauthorized",  # 401 whatever the credentials
    )

    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self.user = user
        self.password = password
        self.records: dict[str, dict[str, Any]] = {}
        self.assigns: list[tuple[str, str]] = []
        self.fields: dict[str, bool] = dict(DEFAULT_FIELDS)
        self.lookups: dict[str, frozenset[str]] = {
            "risk_level": frozenset({"high", "medium", "low"}),
            "sex": frozenset({"female", "male"}),
            "protection_concerns": PRIMERO_PROTECTION_CONCERNS,
            "status": frozenset({"open", "closed"}),
        }
        self.failed_logins = 0
        # Refuse the password once this many records exist (a password changed in Primero).
        self.password_expires_after: int | None = None

    @property
    def locked(self) -> bool:
        return self.failed_logins >= LOCK_AFTER

    def requests_to(self, method: str, prefix: str = "/api/v2/cases") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def answer(self, request: Recorded, failure: str | None) -> Reply:
        if failure == "unauthorized" or not self._logged_in(request):
            self.failed_logins += 1
            return _error(401, request.path, "Unauthorized")
        if failure == "unavailable":
            reply = _error(503, request.path, "Service Unavailable")
            return Reply(503, reply.body, JSON, {"Retry-After": RETRY_AFTER})
        if failure == "rate_limited":
            reply = _error(429, request.path, "Too Many Requests")
            return Reply(429, reply.body, JSON, {"Retry-After": RETRY_AFTER})
        if failure == "server_error":
            return _error(500, request.path, "Internal Server Error")
        if failure == "bad_gateway":
            return Reply(502, b"<html>Bad Gateway</html>", "text/html")
        reply = self._route(request)
        if failure == "slow":
            return Reply(reply.status, reply.body, reply.content_type, delay=SLOW_SECONDS)
        if failure == "held":
            return Reply(reply.status, reply.body, reply.content_type, held=True)
        return reply

    def _logged_in(self, request: Recorded) -> bool:
        if self.locked:
            return False
        expired = (
            self.password_expires_after is not None
            and len(self.records) >= self.password_expires_after
        )
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic ") or expired:
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == (self.user, self.password)

    def _route(self, request: Recorded) -> Reply:
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and request.path == "/api/v2/forms":
            return self._forms(request)
        if parts[:3] != ["api", "v2", "cases"]:
            return _error(404, request.path, "Not Found")
        try:
            body = json.loads(request.body or b"{}")
            data = body["data"]
            assert isinstance(data, dict)
        except (ValueError, KeyError, AssertionError):
            return _error(422, request.path, "Unprocessable Entity", "data")
        if request.method == "POST" and len(parts) == 3:
            return self._create(request.path, data)
        if request.method == "PATCH" and len(parts) == 4:
            return self._update(request.path, parts[3], data)
        if request.method == "POST" and len(parts) == 5 and parts[4] == "assigns":
            return self._assign(request.path, parts[3], data)
        return _error(404, request.path, "Not Found")

    def _forms(self, request: Recorded) -> Reply:
        if request.query.get("module_id") != [MODULE]:
            return Reply(200, json.dumps({"data": []}).encode(), JSON)
        fields = [
            {"name": name, "type": "text_field", "editable": editable, "visible": True}
            for name, editable in self.fields.items()
        ]
        form = {"unique_id": "basic_identity", "parent_form": "case", "editable": True}
        return Reply(200, json.dumps({"data": [form | {"fields": fields}]}).encode(), JSON)

    def _kept(self, path: str, data: dict[str, Any]) -> tuple[dict[str, Any], Reply | None]:
        """What Primero keeps of ``data``: known, editable fields with valid lookups."""
        kept: dict[str, Any] = {}
        for name, value in data.items():
            if name not in SYSTEM_FIELDS and not self.fields.get(name, False):
                continue  # dropped silently, as Primero does
            lookup = self.lookups.get(name)
            values = value if isinstance(value, list) else [value]
            if lookup is not None and any(v not in lookup for v in values):
                message = f"{name} has a value that is not in its lookup"
                return {}, _error(422, path, "Unprocessable Entity", message)
            kept[name] = value
        return kept, None

    def _create(self, path: str, data: dict[str, Any]) -> Reply:
        if data.get("module_id") != MODULE:
            return _error(422, path, "Unprocessable Entity", "module_id is required")
        record_id = data.get("id")
        if record_id is not None and record_id in self.records:
            return _error(409, path, "Conflict: A record with this ID already exists")
        kept, refused = self._kept(path, data)
        if refused is not None:
            return refused
        if record_id is None:
            kept["id"] = str(uuid.uuid4())
            self.records[kept["id"]] = kept
            return Reply(200, json.dumps({"data": kept}).encode(), JSON)
        self.records[record_id] = kept
        return Reply(204, b"", JSON)

    def _update(self, path: str, record_id: str, data: dict[str, Any]) -> Reply:
        if record_id not in self.records:
            return _error(404, path, "Not Found")
        kept, refused = self._kept(path, data)
        if refused is not None:
            return refused
        self.records[record_id].update(kept)
        return Reply(200, json.dumps({"data": self.records[record_id]}).encode(), JSON)

    def _assign(self, path: str, record_id: str, data: dict[str, Any]) -> Reply:
        if record_id not in self.records:
            return _error(404, path, "Not Found")
        user = data.get("transitioned_to")
        if not isinstance(user, str) or not user:
            return _error(422, path, "Unprocessable Entity", "transitioned_to")
        self.assigns.append((record_id, user))
        self.records[record_id]["owned_by"] = user
        body = {"data": {"record_id": record_id, "transitioned_to": user}}
        return Reply(200, json.dumps(body).encode(), JSON)
