"""Primero's v2 API as the sync uses it: create, update and assign a case, read the forms.

HTTP Basic with the service account on every request (no token to keep). Each answer becomes
one outcome: done (``None``), or one of the exceptions below, which the job turns into a retry,
a parked case or a stopped queue. The error text kept is Primero's ``errors`` (codes, fields,
messages), cut short: Primero's validation messages name fields and lookups, not values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from case_store.masking import mask_numbers

RETRY_STATUSES = frozenset({429, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
MAX_ERROR = 400


class PrimeroError(Exception):
    """Something went wrong talking to Primero."""


class Retryable(PrimeroError):
    """Try again later: a timeout, a connection refused, 429, 5xx. ``retry_after`` in seconds
    when Primero said (``Retry-After``)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Rejected(PrimeroError):
    """Primero refused the record itself (422, or another 4xx): retrying will not help until
    someone fixes the record or the configuration."""


class LoginRefused(PrimeroError):
    """401 or 403: the service account's login was refused. Trying again would lock it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"Primero refused the service account's login ({status})")
        self.status = status


@dataclass(frozen=True)
class FormField:
    name: str
    editable: bool


class PrimeroClient:
    def __init__(self, url: str, user: str, password: str, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        # The environment's proxy and CA bundle are read once here, not on every request
        # (requests would scan the environment each time: a third of a backfill's time).
        self._http.proxies = requests.utils.get_environ_proxies(self.url)
        self._http.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self._http.trust_env = False
        self._http.auth = (user, password)
        self._http.headers.update({"Accept": "application/json"})

    def create(self, record: Mapping[str, Any]) -> bool:
        """Create the case (``record["id"]`` chosen by Kinga): True when created now, False
        when Primero already had it (409: a repeat of a create that reached it)."""
        response = self._send("POST", "/api/v2/cases", {"data": dict(record)})
        if response.status_code == 409:
            return False
        _check(response)
        return True

    def update(self, primero_id: str, record: Mapping[str, Any]) -> None:
        _check(self._send("PATCH", f"/api/v2/cases/{primero_id}", {"data": dict(record)}))

    def assign(self, primero_id: str, user: str) -> None:
        body = {"data": {"transitioned_to": user}}
        _check(self._send("POST", f"/api/v2/cases/{primero_id}/assigns", body))

    def form_fields(self, module_id: str) -> dict[str, FormField]:
        """The case fields of ``module_id``'s forms the account sees, by name."""
        response = self._send(
            "GET", "/api/v2/forms", None, params={"record_type": "case", "module_id": module_id}
        )
        _check(response)
        fields: dict[str, FormField] = {}
        try:
            forms = response.json()["data"]
            for form in forms:
                form_editable = form.get("editable", True) is not False
                for item in form.get("fields", []):
                    name = str(item["name"])
                    editable = form_editable and item.get("editable", True) is not False
                    known = fields.get(name)
                    fields[name] = FormField(
                        name, editable or (known is not None and known.editable)
                    )
        except (ValueError, KeyError, TypeError) as exc:
            raise PrimeroError(f"Primero's forms could not be read: {exc}") from None
        return fields

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        try:
            return self._http.request(
                method,
                self.url + path,
                json=body,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise Retryable(f"{method} {path}: no answer within {self.timeout:g} s") from None
        except requests.ConnectionError:
            raise Retryable(f"{method} {path}: Primero could not be reached") from None


def _check(response: requests.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in AUTH_STATUSES:
        raise LoginRefused(status)
    if status in RETRY_STATUSES or status >= 500:
        raise Retryable(
            f"Primero answered {status}", retry_after(response.headers.get("Retry-After"))
        )
    raise Rejected(f"{status}: {error_text(response)}")


def error_text(response: requests.Response) -> str:
    """Primero's ``errors`` as one line: each message with its code and field, masked."""
    try:
        errors = response.json().get("errors", [])
        parts = []
        for error in errors:
            bits = [
                str(error.get(key))
                for key in ("code", "resource", "detail", "message")
                if error.get(key)
            ]
            parts.append(" ".join(bits))
        text = "; ".join(parts) or json.dumps(response.json())[:MAX_ERROR]
    except (ValueError, AttributeError):
        text = response.reason or "no error given"
    return mask_numbers(text)[:MAX_ERROR]


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
