"""The API against its own OpenAPI document (``/api/v1/openapi.json``), with schemathesis:
requests generated from the document, valid and not, sent with an administrator's token to
the app through WSGI. No answer may be a server error, and each must be documented and match
its schema (status, content type, headers, body)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Examples per operation: enough to meet each refusal, quick enough for every run.
EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def admin_token(app, caller, make_case) -> str:
    admin = caller("amina", "admin", phone="+254700111001")
    make_case()
    make_case(area="002")
    app.config["TESTING"] = False  # a crash is answered 500 (and fails the check), not raised
    return admin.token


def test_every_answer_is_documented_and_none_is_a_server_error(app, admin_token):
    # Each operation in turn (schemathesis' pytest plugin does not run under this pytest).
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        answers_as_documented()


def test_the_document_is_valid_openapi_3_and_public(app, client):
    answer = client.get("/api/v1/openapi.json")  # no token: the contract is not a secret
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["openapi"].startswith("3.")
    schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).validate()  # its meta-schema
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
