"""Who may open which console page and take which action: every role against every route.

The table below is what ``case_store.permissions`` grants, written out: a change to a role's
rights shows here. Every route of the console must be in it. A refusal answers 403, writes
nothing but its own audit event on the account's trail.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from console_client import hidden_fields
from console_records import counts, trail

from case_store.enums import Role
from case_store.models import User
from case_store.operations import record_missed_call
from case_store.operations.api_tokens import create_token
from case_store.permissions import ROLE_ACTIONS, Action

AGENT, CASEWORKER, SUPERVISOR, ADMIN = (
    Role.HOTLINE_AGENT,
    Role.CASEWORKER,
    Role.SUPERVISOR,
    Role.ADMIN,
)
EVERYONE = frozenset(Role)
# (method, path, what grants it, the roles it is open to). {id}: another staff account;
# {case}: a case in no particular area (held by the one signing in, if a caseworker);
# {provider}: a service provider. Supervisors see the providers (they oversee referrals and
# refer without consent), only administrators change them, as only they manage accounts.
# {token}: an API token of that other account (anyone revokes their own).
# {missed}: a missed call waiting for a call back.
ROUTES = [
    ("GET", "/staff/", None, EVERYONE),
    ("GET", "/staff/calls/new", Action.RECORD_CONTACT, EVERYONE),
    ("POST", "/staff/calls/new", Action.RECORD_CONTACT, EVERYONE),
    ("POST", "/staff/calls/missed/{missed}", Action.RECORD_CONTACT, EVERYONE),
    ("GET", "/staff/cases", Action.VIEW, EVERYONE),
    ("GET", "/staff/cases/{case}", Action.VIEW, EVERYONE),
    ("POST", "/staff/cases/{case}/assign", Action.ASSIGN, {SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/take", Action.CLAIM, {CASEWORKER, SUPERVISOR, ADMIN}),
    (
        "POST",
        "/staff/cases/{case}/acknowledge",
        Action.ACKNOWLEDGE,
        {CASEWORKER, SUPERVISOR, ADMIN},
    ),
    ("POST", "/staff/cases/{case}/note", Action.ADD_NOTE, EVERYONE),
    ("POST", "/staff/cases/{case}/contact", Action.RECORD_CONTACT, EVERYONE),
    ("POST", "/staff/cases/{case}/refer", Action.REFER, EVERYONE),
    ("POST", "/staff/cases/{case}/level", Action.CHANGE_LEVEL, {CASEWORKER, SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/close", Action.CLOSE, {CASEWORKER, SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/reopen", Action.REOPEN, {SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/repeat", Action.CONFIRM_REPEAT, {CASEWORKER, SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/unlink", Action.CONFIRM_REPEAT, {CASEWORKER, SUPERVISOR, ADMIN}),
    ("POST", "/staff/cases/{case}/reveal", Action.REVEAL, {CASEWORKER, SUPERVISOR, ADMIN}),
    ("GET", "/staff/users", Action.MANAGE_USERS, {ADMIN}),
    ("GET", "/staff/users/new", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/users/new", Action.MANAGE_USERS, {ADMIN}),
    ("GET", "/staff/users/{id}", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/users/{id}", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/users/{id}/password", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/users/{id}/unlock", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/users/{id}/deactivate", Action.MANAGE_USERS, {ADMIN}),
    ("GET", "/staff/roster", Action.MANAGE_ROSTER, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/roster/{id}", Action.MANAGE_ROSTER, {SUPERVISOR, ADMIN}),
    ("POST", "/staff/roster/{id}", Action.MANAGE_ROSTER, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/services", Action.VIEW_SERVICES, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/services/new", Action.MANAGE_SERVICES, {ADMIN}),
    ("POST", "/staff/services/new", Action.MANAGE_SERVICES, {ADMIN}),
    ("GET", "/staff/services/{provider}", Action.MANAGE_SERVICES, {ADMIN}),
    ("POST", "/staff/services/{provider}", Action.MANAGE_SERVICES, {ADMIN}),
    ("POST", "/staff/services/{provider}/deactivate", Action.MANAGE_SERVICES, {ADMIN}),
    ("POST", "/staff/services/{provider}/reactivate", Action.MANAGE_SERVICES, {ADMIN}),
    ("GET", "/staff/supervisor", Action.OVERSEE, {SUPERVISOR, ADMIN}),
    ("POST", "/staff/supervisor/retry", Action.RETRY_JOBS, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/counts", Action.VIEW_COUNTS, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/counts/export.csv", Action.VIEW_COUNTS, {SUPERVISOR, ADMIN}),
    ("GET", "/staff/tokens", None, EVERYONE),
    ("POST", "/staff/tokens", None, EVERYONE),
    ("POST", "/staff/tokens/{token}/revoke", Action.MANAGE_USERS, {ADMIN}),
    ("POST", "/staff/language", None, EVERYONE),
    ("POST", "/staff/logout", None, EVERYONE),
]
PUBLIC = [("GET", "/staff/login"), ("POST", "/staff/login")]
CASES = [(role, *route) for role in Role for route in ROUTES]


def test_the_table_is_what_the_case_store_grants():
    for _method, path, action, roles in ROUTES:
        if action is not None:
            granted = {role for role in Role if action in ROLE_ACTIONS[role]}
            assert granted == set(roles), path


def test_every_console_route_is_in_the_table(app):
    listed = {
        (
            method,
            path.replace("{id}", "<int:user_id>")
            .replace("{case}", "<reference>")
            .replace("{provider}", "<int:provider_id>")
            .replace("{token}", "<int:token_id>")
            .replace("{missed}", "<int:missed_id>"),
        )
        for method, path, *_ in ROUTES
    }
    listed |= set(PUBLIC)
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") and rule.endpoint != "console.static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == listed


@pytest.fixture
def target(make_staff) -> int:
    """A caseworker account the routes act on."""
    return make_staff("target", "caseworker", phone="+254700111099", areas=["001"])


@pytest.fixture
def provider(make_provider) -> int:
    """A service provider the routes act on."""
    return make_provider("Coast Clinic", phone="+254700222001")


@pytest.fixture
def target_token(app, target) -> int:
    """An API token of the target account."""
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        user = session.get(User, target)
        token, _secret = create_token(session, user, name="sync", now=datetime.now(UTC), actor="t")
        return token.id


@pytest.fixture
def missed(app, db) -> int:
    """A missed call waiting for a call back."""
    with db.begin() as session:
        row, _created = record_missed_call(
            session,
            app.extensions["kinga"].vault,
            provider="africastalking",
            external_id="ATVId_permissions",
            phone="+254711000456",
            called_at=datetime.now(UTC),
            language="en",
        )
        return row.id


@pytest.mark.parametrize(
    ("role", "method", "path", "action", "roles"),
    CASES,
    ids=[f"{role.value}-{method}-{path}" for role, method, path, *_ in CASES],
)
def test_each_role_gets_what_it_is_granted_and_nothing_else(
    make_staff,
    make_case,
    console,
    db,
    target,
    provider,
    target_token,
    missed,
    role,
    method,
    path,
    action,
    roles,
):
    someone = make_staff("someone", role.value)
    reference = make_case(assigned_to=someone if role is CASEWORKER else None)
    browser = console()
    browser.sign_in("someone")
    url = path.format(
        id=target, case=reference, provider=provider, token=target_token, missed=missed
    )
    tokens = hidden_fields(browser.get("/staff/").get_data(as_text=True))
    before = counts(db)

    if method == "GET":
        answer = browser.get(url)
    else:
        token = tokens["lang-csrf_token"]  # the session's, in every form of the page
        names = ("csrf_token", "lang-csrf_token", "out-csrf_token")
        answer = browser.client.post(url, data=dict.fromkeys(names, token))

    if role in roles:
        assert answer.status_code != 403, answer.get_data(as_text=True)
        return
    assert answer.status_code == 403
    assert "Your role does not allow this page." in answer.get_data(as_text=True)
    kind, after = trail(db, "someone")[-1]
    assert kind == "refused" and after["action"] == action.value
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, *_ in ROUTES])
def test_without_signing_in_every_page_asks_to_sign_in(
    console, target, provider, target_token, missed, method, path
):
    browser = console()
    tokens = hidden_fields(browser.get("/staff/login").get_data(as_text=True))
    url = path.format(
        id=target, case="482177302", provider=provider, token=target_token, missed=missed
    )
    answer = browser.get(url) if method == "GET" else browser.client.post(url, data=tokens)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/staff/login")


def test_a_deactivated_supervisor_is_refused_the_roster_at_once(
    make_staff, console, runner, target
):
    make_staff("daudi", "supervisor")
    browser = console()
    browser.sign_in("daudi")
    assert browser.get("/staff/roster").status_code == 200
    runner.invoke(args=["users", "deactivate", "daudi"])

    assert browser.get("/staff/roster").status_code == 302
