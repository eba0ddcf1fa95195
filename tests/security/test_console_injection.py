"""Every free-text value a person or a provider puts into Kinga that the console shows, and
every value of an address or a form a console page shows back, arrives as text.

Typed in the console: a note, the reasons for a level and for referring without consent, a
call's place, narrative, area and reference, a service provider's name and areas, a username,
areas and on-call windows, an API token's name. Sent through the JSON API: a call's place and
narrative, a note, a level's reason. Sent by a provider: a service provider's reason for
declining (SMS), an SMS provider's failure reason (delivery report), an error of Primero, and
the reason a job failed. Shown back: every filter of the case list, the counts' range, the
providers' filters, a timeline's page, the call form's case, the sign-in form's name and
``next``.

Each injection (``injections.INJECTIONS``) is kept exactly as sent where it is kept, and every
page shows it HTML-escaped, never as markup and never evaluated as a template; a value that a
field refuses is answered with the form and its error, nothing stored, the value echoed
escaped. Notes and reasons carry the probe's mark, so the leak check then looks for them.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from console_client import PASSWORD
from console_records import counts
from injections import COMPACT, INJECTIONS, escaped, not_markup, shown_escaped
from probe_data import MARK
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sms_client import AT_KEY, Texter
from sqlalchemy import select
from staff import CASEWORKER_PHONE, MOMBASA, SUPERVISOR_PHONE, open_report

from case_store.enums import MessagePurpose, SyncState
from case_store.models import Case, Message, Note, Referral, ServiceProvider, User
from case_store.operations import create_provider
from case_store.operations.api_tokens import create_token
from case_store.operations.errors import MAX_NOTE
from case_store.operations.messages import record_attempt
from workers.queues import SLOW

PROVIDER_PHONE = "+254700222001"
AGENT_PHONE = "+254700111006"
NEW_USER_PHONE = "+254700111007"
AT_ID = "ATXid_" + "ef" * 16


def page_of(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def notes(app: Any, db: Any) -> list[str]:
    vault = app.extensions["kinga"].vault
    with db() as session:
        rows = session.scalars(select(Note).order_by(Note.id))
        return [vault.decrypt(note.body_encrypted) for note in rows]


def the_case(db: Any, reference: str) -> Case:
    with db() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        session.expunge(case)
        return case


def add_clinic(app: Any, name: str = "Coast Clinic") -> None:
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        create_provider(
            session,
            runtime.vault,
            name=name,
            services=["health"],
            areas=[MOMBASA],
            phone=PROVIDER_PHONE,
            now=datetime.now(UTC),
            known_areas=[MOMBASA],
        )


# Typed in the console.


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_note_and_the_reasons_typed_on_a_case_are_kept_and_shown_escaped(
    app, db, signed_in, injection
) -> None:
    caseworker = signed_in("amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    add_clinic(app)
    reference = open_report(app, 1, now=datetime.now(UTC))
    page = f"/staff/cases/{reference}"
    assert caseworker.submit(f"{page}/take", {}, page=page).status_code == 302
    note = f"{injection} note {MARK}"
    level_reason = f"{injection} level {MARK}"
    override_reason = f"{injection} override {MARK}"

    # Refused (too long): the form again with its error and what was typed, nothing stored.
    before = counts(db)
    too_long = supervisor.submit(f"{page}/note", {"note": note + "x" * MAX_NOTE}, page=page)
    assert too_long.status_code == 422
    shown_escaped(page_of(too_long), note)
    assert counts(db) == before

    assert supervisor.submit(f"{page}/note", {"note": note}, page=page).status_code == 302
    level = "low" if the_case(db, reference).risk_level.value != "low" else "high"
    changed = supervisor.submit(
        f"{page}/level", {"level": level, "level_reason": level_reason}, page=page
    )
    assert changed.status_code == 302
    referred = supervisor.submit(
        f"{page}/refer", {"service": "health", "override_reason": override_reason}, page=page
    )
    assert referred.status_code == 302

    assert sorted(notes(app, db)) == sorted([note, level_reason, override_reason])
    for browser in (caseworker, supervisor):
        shown = page_of(browser.get(page))
        for text in (note, level_reason, override_reason):
            shown_escaped(shown, text)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_call_logged_by_an_agent_keeps_its_text_and_echoes_a_refusal_escaped(
    app, db, signed_in, injection
) -> None:
    agent = signed_in("baraka", "hotline_agent", AGENT_PHONE)
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    form = "/staff/calls/new"
    place, narrative = f"{injection} place {MARK}", f"{injection} said {MARK}"
    call = {
        "outcome": "new_case",
        "direction": "inbound",
        "language": "en",
        "danger": "no",
        "category": "neglect",
        "age_band": "5_11",
        "sex": "girl",
        "area": "Mombasa",
        "place": place,
        "relationship": "community",
        "narrative": narrative,
        "callback": "no",
    }

    # The address's case is shown back in the reference field.
    shown_escaped(page_of(agent.get(f"{form}?{urlencode({'case': injection})}")), injection)

    # An area that is none, a reference that is none: refused on their field, echoed.
    before = counts(db)
    refusals = {
        "area": {"area": injection},
        "reference": {"outcome": "existing_case", "reference": injection},
    }
    for field, sent in refusals.items():
        refused = agent.submit(form, call | sent)
        assert refused.status_code == 422, field
        refusal = page_of(refused)
        assert f'id="{field}-error"' in refusal
        shown_escaped(refusal, sent[field])
        shown_escaped(refusal, narrative)
        assert counts(db) == before

    assert agent.submit(form, call).status_code == 302
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        reference = case.reference
        assert vault.decrypt(case.place_encrypted) == place
        assert vault.decrypt(case.narrative_encrypted) == narrative
    # A call on that case: its notes are a note.
    again = {"outcome": "existing_case", "reference": reference, "narrative": narrative}
    assert agent.submit(form, call | again).status_code == 302
    assert notes(app, db) == [narrative]
    case_page = page_of(supervisor.get(f"/staff/cases/{reference}"))
    shown_escaped(case_page, narrative)
    not_markup(case_page, place)
    not_markup(page_of(agent.get(form)), injection)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_provider_s_name_reason_and_failure_are_shown_escaped(
    app, client, db, signed_in, injection
) -> None:
    admin = signed_in("admin", "admin", None)
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    name = f"{injection} Clinic"
    provider = {
        "name": name,
        "services": ["health"],
        "phone": PROVIDER_PHONE,
        "areas": "Mombasa",
        "language": "en",
    }

    # Areas that are none: refused on their field, echoed, nothing stored.
    refused = admin.submit("/staff/services/new", provider | {"areas": injection})
    assert refused.status_code == 422
    shown_escaped(page_of(refused), injection)
    shown_escaped(page_of(refused), name)
    with db() as session:
        assert session.scalars(select(ServiceProvider)).all() == []

    created = admin.submit("/staff/services/new", provider)
    assert created.status_code == 302
    with db() as session:
        stored = session.scalars(select(ServiceProvider)).one()
        assert stored.name == name
        provider_id = stored.id
    shown_escaped(page_of(admin.get("/staff/services")), name)  # with its flash message
    shown_escaped(page_of(supervisor.get("/staff/services")), name)
    shown_escaped(page_of(admin.get(f"/staff/services/{provider_id}")), name)
    deactivated = admin.submit(
        f"/staff/services/{provider_id}/deactivate", {}, page=f"/staff/services/{provider_id}"
    )
    assert deactivated.status_code == 302
    shown_escaped(page_of(admin.get(f"/staff/services/{provider_id}")), name)
    admin.submit(
        f"/staff/services/{provider_id}/reactivate", {}, page=f"/staff/services/{provider_id}"
    )

    # Referred to: the case's referral and its timeline, and the flash message.
    reference = open_report(app, 2, now=datetime.now(UTC))
    page = f"/staff/cases/{reference}"
    referred = supervisor.submit(
        f"{page}/refer", {"service": "health", "override_reason": "Urgent"}, page=page
    )
    assert referred.status_code == 302
    shown_escaped(page_of(supervisor.get(page)), name)

    # The SMS provider's failure reason, and the service provider's reason for declining.
    with db.begin() as session:
        message = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.REFERRAL)
        ).first()
        record_attempt(
            session, message, provider="africastalking", provider_id=AT_ID, now=datetime.now(UTC)
        )
        code = session.scalars(select(Referral.code)).one()
    failure = {"id": AT_ID, "status": "Failed", "phoneNumber": PROVIDER_PHONE}
    failure["failureReason"] = injection
    delivered = client.post(f"/sms/africastalking/delivery?key={AT_KEY}", data=failure)
    assert delivered.status_code == 200
    reason = f"{injection} {MARK}"
    assert Texter(client, phone=PROVIDER_PHONE).send(f"NO {code} {reason}").status_code == 200
    vault = app.extensions["kinga"].vault
    with db() as session:
        referral = session.scalars(select(Referral)).one()
        assert vault.decrypt(referral.answer_reason_encrypted) == reason
        assert session.get(Message, message.id).last_error == injection
    timeline = page_of(supervisor.get(page))
    shown_escaped(timeline, reason)
    shown_escaped(timeline, f"({injection})")


@pytest.mark.parametrize(
    ("username", "injection"), list(zip(COMPACT, INJECTIONS, strict=True)), ids=INJECTIONS
)
def test_a_username_and_a_token_name_are_shown_escaped_wherever_they_are(
    app, db, signed_in, username, injection
) -> None:
    admin = signed_in("admin", "admin", None)
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    account = {
        "username": username,
        "role": "caseworker",
        "phone": NEW_USER_PHONE,
        "areas": "Mombasa",
        "language": "en",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }

    # Refused: a name with spaces, areas that are none; echoed, nothing stored.
    before = counts(db)
    for field, value in (("username", injection + " x"), ("areas", injection)):
        refused = admin.submit("/staff/users/new", account | {field: value})
        assert refused.status_code == 422, field
        assert f'id="{field}-error"' in page_of(refused)
        shown_escaped(page_of(refused), value)
        assert counts(db) == before

    created = admin.submit("/staff/users/new", account)
    assert created.status_code == 302
    with db() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        user_id = user.id
    edit = f"/staff/users/{user_id}"
    shown_escaped(page_of(admin.get(edit)), username)  # with its flash message
    shown_escaped(page_of(admin.get("/staff/users")), username)
    shown_escaped(page_of(supervisor.get("/staff/roster")), username)
    shown_escaped(page_of(supervisor.get(f"/staff/roster/{user_id}")), username)
    windows = supervisor.submit(
        f"/staff/roster/{user_id}", {"on_call": "yes", "windows": injection}
    )
    assert windows.status_code == 422
    shown_escaped(page_of(windows), injection)
    assert (
        supervisor.submit(f"/staff/roster/{user_id}", {"on_call": "yes", "windows": ""}).status_code
        == 302
    )
    shown_escaped(page_of(supervisor.get("/staff/roster")), username)  # with its flash message

    # Holding a case: the assign list, the case page, the list, the supervisor's workload.
    reference = open_report(app, 3, now=datetime.now(UTC))
    page = f"/staff/cases/{reference}"
    shown_escaped(page_of(supervisor.get(page)), username)
    assigned = supervisor.submit(f"{page}/assign", {"assignee": str(user_id)}, page=page)
    assert assigned.status_code == 302
    for shown in (page, "/staff/cases", "/staff/supervisor"):
        shown_escaped(page_of(supervisor.get(shown)), username)

    # Signed in: the start page and the layout; a wrong password: the name back in its field.
    browser = type(admin)(app.test_client())
    wrong = browser.submit("/staff/login", {"username": username, "password": "not it at all"})
    assert wrong.status_code == 200
    shown_escaped(page_of(wrong), username)
    assert browser.sign_in(username).status_code == 302
    shown_escaped(page_of(browser.get("/staff/")), username)

    # Its API token: named on its page, in the administrator's list, in the revoke message.
    made = browser.submit("/staff/tokens", {"name": injection, "expires": "30"})
    assert made.status_code == 201
    shown_escaped(page_of(made), injection)
    admin_view = page_of(admin.get("/staff/tokens"))
    shown_escaped(admin_view, injection)
    shown_escaped(admin_view, username)
    token_id = re.search(r'action="/staff/tokens/(\d+)/revoke"', admin_view)
    assert token_id is not None
    revoked = browser.submit(f"/staff/tokens/{token_id.group(1)}/revoke", {}, page="/staff/tokens")
    assert revoked.status_code == 302
    shown_escaped(page_of(browser.get("/staff/tokens")), injection)
    too_long = browser.submit("/staff/tokens", {"name": injection + "x" * 64, "expires": "30"})
    assert too_long.status_code == 422
    shown_escaped(page_of(too_long), injection)


# Sent through the JSON API.


@pytest.mark.parametrize("injection", INJECTIONS)
def test_a_call_a_note_and_a_reason_sent_through_the_api_are_shown_escaped(
    app, client, db, signed_in, injection
) -> None:
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == "daudi")).one()
        _token, secret = create_token(
            session, user, name="tests", now=datetime.now(UTC), actor=user
        )
    bearer = {"Authorization": f"Bearer {secret}"}
    place, narrative = f"{injection} place {MARK}", f"{injection} said {MARK}"
    call = {
        "direction": "inbound",
        "language": "en",
        "danger": "no",
        "category": "neglect",
        "age_band": "5_11",
        "sex": "girl",
        "area": MOMBASA,
        "place": place,
        "relationship": "community",
        "narrative": narrative,
    }
    opened = client.post(
        "/api/v1/cases", json=call, headers=bearer | {"Idempotency-Key": "injection-call-0001"}
    )
    assert opened.status_code == 201, opened.get_json()
    reference = opened.get_json()["reference"].replace("-", "")
    note, reason = f"{injection} note {MARK}", f"{injection} level {MARK}"
    added = client.post(f"/api/v1/cases/{reference}/notes", json={"text": note}, headers=bearer)
    assert added.status_code == 201
    tag = client.get(f"/api/v1/cases/{reference}", headers=bearer).headers["ETag"]
    level = "low" if the_case(db, reference).risk_level.value != "low" else "high"
    changed = client.post(
        f"/api/v1/cases/{reference}/level",
        json={"level": level, "reason": reason},
        headers=bearer | {"If-Match": tag},
    )
    assert changed.status_code == 200, changed.get_json()

    case = the_case(db, reference)
    assert runtime.vault.decrypt(case.place_encrypted) == place
    assert runtime.vault.decrypt(case.narrative_encrypted) == narrative
    assert sorted(notes(app, db)) == sorted([note, reason])
    page = page_of(supervisor.get(f"/staff/cases/{reference}"))
    shown_escaped(page, note)
    shown_escaped(page, reason)
    not_markup(page, place)


# Shown back from the address, and what other systems said.

CASE_FILTERS = ("status", "level", "area", "show", "page", "before", "anything")


@pytest.mark.parametrize("injection", INJECTIONS)
def test_every_value_of_an_address_a_page_shows_back_is_escaped(
    app, client, db, signed_in, injection
) -> None:
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    agent = signed_in("baraka", "hotline_agent", AGENT_PHONE)
    reference = open_report(app, 4, now=datetime.now(UTC))
    for name in CASE_FILTERS:
        for address in (
            f"/staff/cases?{urlencode({name: injection})}",
            f"/staff/cases?{urlencode({name: injection, 'page': '2'})}",
        ):
            answer = supervisor.get(address)
            assert answer.status_code == 200, address
            listing = page_of(answer)
            not_markup(listing, injection)
            if "page=2" in address and name != "page":  # the link to page 1 keeps it, encoded
                assert linked_values(listing, "prev")[name] == [injection]
    for name in ("before", "anything"):
        case_page = supervisor.get(f"/staff/cases/{reference}?{urlencode({name: injection})}")
        assert case_page.status_code == 200
        not_markup(page_of(case_page), injection)
    for wrong in (f"{reference}{injection}", injection):  # no such case
        missing = supervisor.get(f"/staff/cases/{quote(wrong, safe='')}")
        assert missing.status_code == 404
        not_markup(page_of(missing), injection)
    for name in ("service", "area", "status"):
        providers = supervisor.get(f"/staff/services?{urlencode({name: injection})}")
        assert providers.status_code == 200
        not_markup(page_of(providers), injection)
    for name in ("first", "last"):
        for path in ("/staff/counts", "/staff/counts/export.csv"):
            refused = supervisor.get(f"{path}?{urlencode({name: injection})}")
            assert refused.status_code == 422, path  # not a date: the form says so
            shown_escaped(page_of(refused), injection)
    for path in ("/staff/supervisor", "/staff/roster", "/staff/"):
        shown = supervisor.get(f"{path}?{urlencode({'x': injection})}")
        assert shown.status_code == 200
        not_markup(page_of(shown), injection)
    not_markup(page_of(agent.get(f"/staff/calls/new?{urlencode({'x': injection})}")), injection)

    # Signing in: ``next`` inside the console is kept (escaped), any other is dropped.
    inside = f"/staff/cases?area={injection}"
    login = page_of(client.get(f"/staff/login?{urlencode({'next': inside})}"))
    shown_escaped(login, inside)
    outside = page_of(client.get(f"/staff/login?{urlencode({'next': injection})}"))
    not_markup(outside, injection)
    assert escaped(injection) not in outside.split("<main", 1)[1]
    signed = client.post(
        "/staff/login",
        data={"username": "daudi", "password": PASSWORD, "next": injection}
        | _csrf(client, "/staff/login"),
    )
    assert signed.status_code == 302 and signed.headers["Location"] == "/staff/"


def linked_values(page: str, rel: str) -> dict[str, list[str]]:
    """The values of the address the page links to as ``rel``."""
    link = re.search(rf'<a href="([^"]*)" rel="{rel}">', page)
    assert link is not None
    return parse_qs(urlsplit(html.unescape(link.group(1))).query)


def _csrf(client: Any, path: str) -> dict[str, str]:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_of(client.get(path)))
    assert found is not None
    return {"csrf_token": found.group(1)}


@pytest.mark.parametrize("injection", INJECTIONS)
def test_what_primero_and_a_failed_job_said_is_shown_escaped(
    app, db, redis_client, signed_in, injection
) -> None:
    supervisor = signed_in("daudi", "supervisor", SUPERVISOR_PHONE)
    reference = open_report(app, 5, now=datetime.now(UTC))
    with db.begin() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        case.primero_sync_state = SyncState.FAILED
        case.primero_error = injection
        case.primero_last_attempt_at = datetime.now(UTC) - timedelta(minutes=1)
    shown_escaped(page_of(supervisor.get(f"/staff/cases/{reference}")), injection)

    slow = Queue(SLOW, connection=redis_client, serializer=JSONSerializer)
    slow.enqueue("ipaddress.ip_address", address=injection)
    SimpleWorker([slow], connection=redis_client, serializer=JSONSerializer).work(burst=True)
    assert len(slow.failed_job_registry) == 1
    jobs = page_of(supervisor.get("/staff/supervisor"))
    assert "ValueError" in jobs
    shown_escaped(jobs, repr(injection))
