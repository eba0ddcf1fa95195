"""Who may do what through the API: every role against every endpoint, on a case of their
area and on another area's. The table is what ``case_store.permissions`` grants, as the
console's; a refusal is 403, in the API's format, and writes nothing but its own audit event
on the account's trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from case_store.enums import Role
from case_store.models import RosterEvent
from case_store.permissions import ROLE_ACTIONS, Action

AGENT, CASEWORKER, SUPERVISOR, ADMIN = (
    Role.HOTLINE_AGENT,
    Role.CASEWORKER,
    Role.SUPERVISOR,
    Role.ADMIN,
)
EVERYONE = frozenset(Role)
CALL = {
    "language": "en",
    "danger": "no",
    "category": "neglect",
    "age_band": "5_11",
    "sex": "boy",
    "area": "001",
    "relationship": "community",
}
# (method, path, body, what grants it, the roles it is open to); {case}: a case of area 001,
# held by the one calling if a caseworker.
ROUTES: list[tuple[str, str, Any, Action, frozenset[Role]]] = [
    ("GET", "/api/v1/cases", None, Action.VIEW, EVERYONE),
    ("POST", "/api/v1/cases", CALL, Action.RECORD_CONTACT, EVERYONE),
    ("GET", "/api/v1/cases/{case}", None, Action.VIEW, EVERYONE),
    ("GET", "/api/v1/cases/{case}/timeline", None, Action.VIEW, EVERYONE),
    (
        "POST",
        "/api/v1/cases/{case}/assign",
        {"assignee": "holder"},
        Action.ASSIGN,
        frozenset({SUPERVISOR, ADMIN}),
    ),
    (
        "POST",
        "/api/v1/cases/{case}/acknowledge",
        None,
        Action.ACKNOWLEDGE,
        frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
    ),
    (
        "POST",
        "/api/v1/cases/{case}/level",
        {"level": "high"},
        Action.CHANGE_LEVEL,
        frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
    ),
    (
        "POST",
        "/api/v1/cases/{case}/close",
        {"reason": "resolved"},
        Action.CLOSE,
        frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
    ),
    ("POST", "/api/v1/cases/{case}/reopen", None, Action.REOPEN, frozenset({SUPERVISOR, ADMIN})),
    (
        "GET",
        "/api/v1/cases/{case}/notes",
        None,
        Action.REVEAL,
        frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
    ),
    ("POST", "/api/v1/cases/{case}/notes", {"text": "A note."}, Action.ADD_NOTE, EVERYONE),
    ("GET", "/api/v1/cases/{case}/referrals", None, Action.VIEW, EVERYONE),
    ("POST", "/api/v1/cases/{case}/referrals", {"service": "health"}, Action.REFER, EVERYONE),
    ("POST", "/api/v1/cases/{case}/contacts", {}, Action.RECORD_CONTACT, EVERYONE),
    ("GET", "/api/v1/cases/{case}/messages", None, Action.VIEW, EVERYONE),
    ("GET", "/api/v1/counts/daily", None, Action.VIEW_COUNTS, frozenset({SUPERVISOR, ADMIN})),
]
ON_A_CASE = [route for route in ROUTES if "{case}" in route[1]]
CASES = [(role, *route) for role in Role for route in ROUTES]
ELSEWHERE = [(role, *route) for role in Role for route in ON_A_CASE]


def test_the_table_is_what_the_case_store_grants():
    for _method, path, _body, action, roles in ROUTES:
        granted = {role for role in Role if action in ROLE_ACTIONS[role]}
        assert granted == set(roles), path


def test_every_api_route_is_in_the_table(app):
    listed = {(method, path.replace("{case}", "<reference>")) for method, path, *_ in ROUTES}
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and not rule.rule.endswith("openapi.json")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == listed


def refusals(db, user_id: int) -> list[dict[str, Any]]:
    with db() as session:
        events = session.scalars(
            select(RosterEvent).where(RosterEvent.user_id == user_id).order_by(RosterEvent.id)
        )
        return [event.data["after"] for event in events if event.kind.value == "refused"]


def send(who, method: str, url: str, body: Any, tag: str) -> Any:
    headers = who.headers(**{"If-Match": tag, "Idempotency-Key": "matrix-key-1"})
    if method == "GET":
        return who.client.get(url, headers=headers)
    return who.client.post(url, json=body, headers=headers)


@pytest.fixture
def world(caller, make_staff, make_case):
    """An administrator to read tags with, a caseworker who can hold cases of area 001, and
    a case of each area."""
    admin = caller("reader", "admin")
    make_staff("holder", "caseworker", areas=["001"])

    def case_of(area: str, held_by: int | None = None) -> tuple[str, str]:
        reference = make_case(area, assigned_to=held_by, consent=True)
        return reference, admin.get(f"/api/v1/cases/{reference}").headers["ETag"]

    return case_of


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "action", "roles"),
    CASES,
    ids=[f"{role.value}-{method}-{path}" for role, method, path, *_ in CASES],
)
def test_each_role_gets_what_it_is_granted_and_nothing_else(
    caller, world, db, rows, role, method, path, body, action, roles
):
    someone = caller("someone", role.value, areas=["001"], phone="+254700111555")
    reference, tag = world("001", someone.user_id if role is CASEWORKER else None)
    before = rows()

    answer = send(someone, method, path.format(case=reference), body, tag)

    if role in roles:
        assert answer.status_code != 403, answer.get_json()
        return
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"
    assert refusals(db, someone.user_id)[-1]["action"] == action.value
    assert rows() == before | {"roster_event": before["roster_event"] + 1}


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "action", "roles"),
    ELSEWHERE,
    ids=[f"{role.value}-{method}-{path}" for role, method, path, *_ in ELSEWHERE],
)
def test_another_area_s_case_is_refused_to_all_but_an_administrator(
    caller, world, db, rows, role, method, path, body, action, roles
):
    someone = caller("someone", role.value, areas=["001"], phone="+254700111555")
    reference, tag = world("002")
    before = rows()

    answer = send(someone, method, path.format(case=reference), body, tag)

    if role is ADMIN:  # an administrator works on every area, whatever their own
        assert answer.status_code != 403, answer.get_json()
        return
    assert answer.status_code == 403
    refused = refusals(db, someone.user_id)[-1]
    assert refused["action"] in (Action.VIEW.value, action.value)
    assert rows() == before | {"roster_event": before["roster_event"] + 1}


def test_a_caseworker_works_only_on_the_cases_they_hold(caller, world, db, rows):
    someone = caller("someone", "caseworker", areas=["001"])
    reference, tag = world("001")  # nobody holds it
    assert someone.get(f"/api/v1/cases/{reference}").status_code == 200
    before = rows()
    answer = send(someone, "POST", f"/api/v1/cases/{reference}/level", {"level": "high"}, tag)
    assert answer.status_code == 403
    refused = refusals(db, someone.user_id)[-1]
    assert (refused["action"], refused["api"]) == ("change_level", "case-work.change_level")
    assert rows() == before | {"roster_event": before["roster_event"] + 1}
