"""Bearer tokens: only a valid one opens the API; anything else is 401, in the API's error
format, and writes nothing (a refused POST opens no case)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from case_store.api_tokens import secret_hash
from case_store.models import ApiToken

CALL = {
    "language": "en",
    "danger": "yes",
    "category": "physical_violence",
    "age_band": "5_11",
    "sex": "girl",
    "area": "001",
    "relationship": "family",
}


def refused_everywhere(client, rows, headers: dict[str, str]) -> None:
    before = rows()
    for answer in (
        client.get("/api/v1/cases", headers=headers),
        client.post("/api/v1/cases", json=CALL, headers=headers | {"Idempotency-Key": "k" * 12}),
    ):
        assert answer.status_code == 401
        assert answer.get_json()["error"]["code"] in ("unauthorized", "invalid_token")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert rows() == before


def test_a_valid_token_lists_cases_and_its_use_is_noted(caller, make_case, db):
    amina = caller("amina", "admin")
    make_case()
    answer = amina.get("/api/v1/cases")
    assert answer.status_code == 200 and len(answer.get_json()["cases"]) == 1
    with db() as session:
        token = session.query(ApiToken).one()
        assert token.last_used_at is not None
        assert token.secret_hash == secret_hash(amina.token) != amina.token


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YW1pbmE6c2VjcmV0",
        "Bearer kinga_short",
        "Bearer not-a-kinga-token-at-all-but-quite-long-0123456789",
        "Bearer kinga_" + "A" * 43,  # well formed, never made
    ],
)
def test_a_missing_or_malformed_token_is_refused(client, caller, rows, authorization):
    caller("amina", "admin")
    headers = {} if authorization is None else {"Authorization": authorization}
    refused_everywhere(client, rows, headers)


def test_a_revoked_token_is_refused_at_once(caller, runner, rows, db):
    amina = caller("amina", "admin")
    assert amina.get("/api/v1/cases").status_code == 200
    with db() as session:
        token_id = session.query(ApiToken).one().id
    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    refused_everywhere(amina.client, rows, amina.headers())


def test_an_expired_token_is_refused(app, make_staff, make_token, rows):
    user = make_staff("amina", "admin")
    secret = make_token(user, expires_in=timedelta(seconds=1))
    from case_store.models import ApiToken as Token

    with app.extensions["kinga"].sessions.begin() as session:
        token = session.query(Token).one()
        token.expires_at = token.created_at - timedelta(seconds=1)
    refused_everywhere(app.test_client(), rows, {"Authorization": f"Bearer {secret}"})


def test_a_deactivated_account_s_token_is_refused(caller, runner, rows):
    amina = caller("amina", "admin")
    runner.invoke(args=["users", "deactivate", "amina"])
    refused_everywhere(amina.client, rows, amina.headers())


def test_a_console_session_cookie_opens_nothing(make_staff, app, rows):
    """The API reads the bearer header only: a signed-in browser cannot be made to use it."""
    from case_store.passwords import hash_password
    from case_store.queries.users import find_user

    make_staff("amina", "admin")
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        find_user(session, "amina").password_hash = hash_password("a long pass phrase 1")
    browser = app.test_client()
    page = browser.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = browser.post(
        "/staff/login",
        data={"csrf_token": token, "username": "amina", "password": "a long pass phrase 1"},
    )
    assert signed_in.status_code == 302
    refused_everywhere(browser, rows, {})


def test_the_cli_makes_lists_and_revokes_tokens_showing_the_secret_once(
    caller, make_staff, runner, client, db
):
    make_staff("wanjiru", "caseworker")
    made = runner.invoke(args=["tokens", "create", "wanjiru", "--name", "Primero sync"])
    assert made.exit_code == 0, made.output
    document = json.loads(made.stdout.splitlines()[0])
    secret = document["token"]
    assert secret.startswith("kinga_") and document["usable"] is True
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )

    listed = json.loads(runner.invoke(args=["tokens", "list", "--json"]).stdout)
    assert [row["name"] for row in listed] == ["Primero sync"]
    assert secret not in json.dumps(listed) and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    revoked = runner.invoke(args=["tokens", "revoke", str(document["id"])])
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    assert (
        client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_the_cli_token_can_expire_and_refuses_an_unknown_user(make_staff, runner):
    make_staff("wanjiru", "caseworker")
    made = runner.invoke(args=["tokens", "create", "wanjiru", "--name", "n", "--expires-days", "7"])
    assert json.loads(made.stdout.splitlines()[0])["expires_at"] is not None
    unknown = runner.invoke(args=["tokens", "create", "nobody", "--name", "n"])
    assert unknown.exit_code != 0 and "no user named" in unknown.output
