"""A console client for the tests: reads each form's hidden fields from the page, as a
browser would, and posts them back with what the person typed."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery"
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_NAME = re.compile(r'name="([^"]+)"')
_VALUE = re.compile(r'value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of the page (the CSRF token, the call form's token, ``next``)."""
    fields: dict[str, str] = {}
    for tag in _HIDDEN.findall(html):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name is not None:
            fields.setdefault(name.group(1), value.group(1) if value else "")
    return fields


class Console:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def submit(self, path: str, data: dict[str, Any], *, page: str | None = None) -> TestResponse:
        """Open ``page`` (default ``path``), then post its hidden fields with ``data``."""
        shown = self.client.get(page or path)
        fields = hidden_fields(shown.get_data(as_text=True)) | data
        return self.client.post(path, data=fields)

    def sign_in(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.submit("/staff/login", {"username": username, "password": password})
