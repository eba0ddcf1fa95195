"""Case work in the console: the list a person may see (filters, pages, most urgent first),
a case's page with its whole timeline, and each action with its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from console_call_data import REPORTER
from console_client import hidden_fields
from console_records import counts, trail
from sqlalchemy import select

from case_store.enums import CaseStatus, MessagePurpose, RiskLevel
from case_store.models import Case, Message, OutboxRow, Referral
from case_store.operations import create_provider
from case_store.references import format_reference
from gateway.web.console.cases import PAGE_SIZE

MOMBASA, NAIROBI = "001", "047"
WORK_PHONE = "+254700111001"
PROVIDER_PHONE = "+254700222001"


def case_row(db, reference: str) -> Case:
    with db() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        session.expunge(case)
        return case


def events(db, reference: str) -> list[tuple[str, dict]]:
    with db() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        return [(event.kind.value, event.data) for event in case.events]


def listed(page: str) -> list[str]:
    """The references the list shows, in its order."""
    import re

    return [ref.replace("-", "") for ref in re.findall(r">(\d{3}-\d{3}-\d{3})</a>", page)]


@pytest.fixture
def wanjiru(make_staff):
    return make_staff("wanjiru", "caseworker", phone=WORK_PHONE, areas=[MOMBASA])


def signed_in(console, username):
    browser = console()
    browser.sign_in(username)
    return browser


# The list.


def test_a_caseworker_lists_only_the_cases_of_their_areas_most_urgent_first(
    make_staff, make_case, console, wanjiru
):
    low = make_case(MOMBASA, category="other")
    immediate = make_case(MOMBASA, danger="yes")
    elsewhere = make_case(NAIROBI, danger="yes")
    high = make_case(MOMBASA, category="sexual_abuse")

    page = signed_in(console, "wanjiru").get("/staff/cases").get_data(as_text=True)

    assert listed(page) == [immediate, high, low]
    assert elsewhere not in listed(page)


def test_the_filters_keep_what_they_say(make_staff, make_case, console, wanjiru, db):
    make_staff("daudi", "supervisor")
    mine = make_case(MOMBASA, assigned_to=wanjiru)
    nobody = make_case(NAIROBI, danger="yes")
    old = make_case(MOMBASA, created_at=datetime.now(UTC) - timedelta(days=3))
    browser = signed_in(console, "daudi")

    def shown(query: str) -> set[str]:
        answer = browser.get(f"/staff/cases?{query}")
        assert answer.status_code == 200
        return set(listed(answer.get_data(as_text=True)))

    assert shown("") == {mine, nobody, old}
    assert shown(f"area={NAIROBI}") == {nobody}
    assert shown("level=immediate") == {nobody}
    assert shown("show=unassigned") == {nobody, old}
    assert shown("show=overdue") == {old}
    assert shown("show=mine") == set()
    assert shown("status=closed") == set()
    assert shown("status=active") == {mine, nobody, old}
    # An unknown value filters nothing rather than failing.
    assert shown("level=urgent") == {mine, nobody, old}
    assert signed_in(console, "wanjiru").get("/staff/cases?show=mine").status_code == 200
    assert set(
        listed(signed_in(console, "wanjiru").get("/staff/cases?show=mine").get_data(as_text=True))
    ) == {mine}


def test_the_list_comes_in_pages(make_staff, make_case, console):
    make_staff("admin", "admin")
    references = [make_case(MOMBASA) for _ in range(PAGE_SIZE + 2)]
    browser = signed_in(console, "admin")

    first = browser.get("/staff/cases?area=001").get_data(as_text=True)
    second = browser.get("/staff/cases?area=001&page=2").get_data(as_text=True)

    assert len(listed(first)) == PAGE_SIZE and len(listed(second)) == 2
    assert set(listed(first)) | set(listed(second)) == set(references)
    assert "/staff/cases?area=001&amp;page=2" in first  # the filters kept
    assert "Next page" not in second and "Previous page" in second
    assert browser.get("/staff/cases?page=x").status_code == 200


# The case page.


@pytest.fixture
def referred_case(app, make_case, make_staff, wanjiru, console):
    """A case held by wanjiru with a note, a referral (its SMS) and a second report that may
    repeat it."""
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        create_provider(
            session,
            runtime.vault,
            name="Coast Clinic",
            services=["health"],
            areas=[MOMBASA],
            phone=PROVIDER_PHONE,
            now=datetime.now(UTC),
            known_areas=[MOMBASA, NAIROBI],
        )
    reference = make_case(MOMBASA, assigned_to=wanjiru, consent=True)
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"
    assert (
        browser.submit(f"{page}/note", {"note": "Spoke to the head teacher"}, page=page).status_code
        == 302
    )
    assert browser.submit(f"{page}/refer", {"service": "health"}, page=page).status_code == 302
    return reference, browser


def test_the_case_page_shows_the_whole_timeline_with_numbers_masked(referred_case, db):
    reference, browser = referred_case
    page = browser.get(f"/staff/cases/{reference}").get_data(as_text=True)

    assert "Spoke to the head teacher" in page  # the note, decrypted
    assert "Case opened" in page and "Note added" in page and "Referred" in page
    assert "Contact" in page and "USSD, incoming: Case opened" in page  # the report's session
    assert "Referral to +2547•••••001: queued" in page  # the provider's SMS, number masked
    assert PROVIDER_PHONE not in page and REPORTER not in page
    assert "+2547•••••321" in page  # the reporter's number, masked
    with db() as session:
        referral = session.scalars(select(Referral)).one()
        assert referral.code in page


def test_viewing_the_notes_is_audited(referred_case, db):
    reference, browser = referred_case
    before = [kind for kind, _ in events(db, reference)].count("revealed")
    browser.get(f"/staff/cases/{reference}")

    revealed = [data for kind, data in events(db, reference) if kind == "revealed"]
    assert len(revealed) == before + 1
    assert revealed[-1]["after"] == {"fields": ["notes"]}


def test_those_who_may_not_see_notes_in_clear_see_that_they_exist(
    referred_case, make_staff, console, db
):
    reference, _browser = referred_case
    make_staff("amina", "hotline_agent")
    before = events(db, reference)
    page = signed_in(console, "amina").get(f"/staff/cases/{reference}").get_data(as_text=True)

    assert "Spoke to the head teacher" not in page and "Not shown to your role." in page
    assert "Show the number" not in page
    assert events(db, reference) == before


def test_the_number_is_shown_only_after_a_click_and_the_click_is_audited(referred_case, db):
    reference, browser = referred_case
    page = f"/staff/cases/{reference}"
    assert REPORTER not in browser.get(page).get_data(as_text=True)

    answer = browser.submit(f"{page}/reveal", {}, page=page)

    assert answer.status_code == 200 and REPORTER in answer.get_data(as_text=True)
    assert events(db, reference)[-1][1]["after"] == {"fields": ["notes", "reporter_phone"]}
    assert REPORTER not in browser.get(page).get_data(as_text=True)


def test_a_hotline_agent_may_not_reveal_a_number(referred_case, make_staff, console, db):
    reference, _browser = referred_case
    make_staff("amina", "hotline_agent")
    browser = signed_in(console, "amina")
    page = f"/staff/cases/{reference}"
    answer = browser.submit(f"{page}/reveal", {}, page=page)

    assert answer.status_code == 403 and REPORTER not in answer.get_data(as_text=True)
    assert trail(db, "amina")[-1] == (
        "refused",
        {"action": "reveal", "page": "console.cases.reveal_phone"},
    )


def test_another_areas_case_is_refused_and_audited(make_case, console, wanjiru, db):
    reference = make_case(NAIROBI)
    browser = signed_in(console, "wanjiru")

    answer = browser.get(f"/staff/cases/{reference}")

    assert answer.status_code == 403
    kind, after = trail(db, "wanjiru")[-1]
    assert kind == "refused" and after["action"] == "view"
    assert browser.get("/staff/cases/482177302").status_code == 404


# Actions.


def test_a_caseworker_acknowledges_records_a_contact_changes_the_level_and_closes(
    make_case, console, wanjiru, db
):
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"

    answer = browser.submit(f"{page}/acknowledge", {}, page=page)
    assert answer.status_code == 302 and answer.headers["Location"] == page
    assert "Case acknowledged." in browser.get(page).get_data(as_text=True)
    browser.submit(f"{page}/contact", {"consent": "yes"}, page=page)
    browser.submit(f"{page}/level", {"level": "immediate"}, page=page)
    browser.submit(f"{page}/close", {"closure_reason": "resolved"}, page=page)

    case = case_row(db, reference)
    assert case.acknowledged_at is not None and case.first_contacted_at is not None
    assert case.consent_services is True and case.risk_level is RiskLevel.IMMEDIATE
    assert case.status is CaseStatus.CLOSED
    kinds = [kind for kind, _ in events(db, reference)]
    for kind in (
        "acknowledged",
        "first_contact_made",
        "consent_recorded",
        "level_changed",
        "closed",
    ):
        assert kind in kinds


def test_lowering_the_level_needs_a_reason_and_writes_nothing_without_one(
    make_case, console, wanjiru, db
):
    reference = make_case(MOMBASA, assigned_to=wanjiru, danger="yes")
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"
    before = counts(db), events(db, reference)

    refused = browser.submit(f"{page}/level", {"level": "low"}, page=page)

    assert refused.status_code == 422
    assert "Lowering the level needs a reason." in refused.get_data(as_text=True)
    assert (counts(db), events(db, reference)) == before
    done = browser.submit(
        f"{page}/level", {"level": "low", "level_reason": "Child is safe with her aunt"}, page=page
    )
    assert done.status_code == 302
    assert case_row(db, reference).risk_level is RiskLevel.LOW


def test_a_closed_case_refuses_work_until_reopened(make_staff, make_case, console, wanjiru, db):
    make_staff("daudi", "supervisor")
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"
    browser.submit(f"{page}/close", {"closure_reason": "no_concern"}, page=page)
    before = events(db, reference)

    refused = browser.submit(f"{page}/acknowledge", {}, page=page)

    assert refused.status_code == 409
    assert "This case is closed: reopen it first." in refused.get_data(as_text=True)
    assert events(db, reference) == before
    supervisor = signed_in(console, "daudi")
    assert supervisor.submit(f"{page}/reopen", {}, page=page).status_code == 302
    assert case_row(db, reference).status is CaseStatus.OPEN


def test_a_caseworker_may_not_act_on_a_case_they_do_not_hold(
    make_staff, make_case, console, wanjiru, db
):
    make_staff("baraka", "caseworker", areas=[MOMBASA])
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    browser = signed_in(console, "baraka")
    page = f"/staff/cases/{reference}"
    before = counts(db), events(db, reference)

    refused = browser.submit(f"{page}/close", {"closure_reason": "resolved"}, page=page)

    assert refused.status_code == 403
    assert "do not allow this on this case" in refused.get_data(as_text=True)
    assert events(db, reference) == before[1]
    assert trail(db, "baraka")[-1] == (
        "refused",
        {
            "action": "close",
            "page": "console.cases.close_case",
            "case_id": case_row(db, reference).id,
        },
    )


def test_a_hotline_agent_may_not_close_a_case(make_staff, make_case, console, db):
    make_staff("amina", "hotline_agent")
    reference = make_case(MOMBASA)
    browser = signed_in(console, "amina")
    page = f"/staff/cases/{reference}"
    assert "Close the case" not in browser.get(page).get_data(as_text=True)

    refused = browser.submit(f"{page}/close", {"closure_reason": "resolved"}, page=page)

    assert refused.status_code == 403
    assert case_row(db, reference).status is CaseStatus.OPEN


def test_a_supervisor_assigns_to_someone_who_can_hold_the_case(
    make_staff, make_case, console, wanjiru, db
):
    make_staff("daudi", "supervisor")
    nairobi = make_staff("otieno", "caseworker", areas=[NAIROBI])
    reference = make_case(MOMBASA)
    browser = signed_in(console, "daudi")
    page = f"/staff/cases/{reference}"

    refused = browser.submit(f"{page}/assign", {"assignee": nairobi}, page=page)
    assert refused.status_code == 422 and case_row(db, reference).assigned_to_id is None
    done = browser.submit(f"{page}/assign", {"assignee": wanjiru}, page=page)
    assert done.status_code == 302
    assert "Case assigned to wanjiru." in browser.get(page).get_data(as_text=True)
    assert case_row(db, reference).assigned_to_id == wanjiru


def test_a_note_needs_text(make_case, console, wanjiru, db):
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"
    before = counts(db)

    assert browser.submit(f"{page}/note", {"note": "  "}, page=page).status_code == 422
    assert counts(db) == before


def test_a_referral_is_sent_after_the_commit_and_needs_consent_or_an_override(
    app, make_staff, make_case, console, wanjiru, db
):
    runtime = app.extensions["kinga"]
    with runtime.sessions.begin() as session:
        create_provider(
            session,
            runtime.vault,
            name="Coast Clinic",
            services=["health"],
            areas=[MOMBASA],
            phone=PROVIDER_PHONE,
            now=datetime.now(UTC),
            known_areas=[MOMBASA, NAIROBI],
        )
    make_staff("daudi", "supervisor", phone="+254700111002")
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    page = f"/staff/cases/{reference}"
    browser = signed_in(console, "wanjiru")

    refused = browser.submit(f"{page}/refer", {"service": "health"}, page=page)
    assert refused.status_code == 409
    assert "has not agreed to services" in refused.get_data(as_text=True)
    # A caseworker's override is refused: supervisors only.
    overridden = browser.submit(
        f"{page}/refer", {"service": "health", "override_reason": "Urgent"}, page=page
    )
    assert overridden.status_code == 403

    supervisor = signed_in(console, "daudi")
    done = supervisor.submit(
        f"{page}/refer",
        {"service": "health", "override_reason": "The child needs care tonight"},
        page=page,
    )
    assert done.status_code == 302
    with db() as session:
        referral = session.scalars(select(Referral)).one()
        messages = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.REFERRAL)
        ).all()
        row = session.scalars(select(OutboxRow).where(OutboxRow.id.is_not(None))).all()
        # The provider gets the referral; the caseworker holding the case is told of it.
        phones = sorted(runtime.vault.decrypt(message.phone_encrypted) for message in messages)
        assert phones == sorted([PROVIDER_PHONE, WORK_PHONE])
        assert row  # queued with its outbox row and handed over after the commit
        assert f"Referral {referral.code} sent to Coast Clinic." in supervisor.get(page).get_data(
            as_text=True
        )


def test_a_repeat_link_is_confirmed_or_undone(make_staff, make_case, console, db):
    make_staff("daudi", "supervisor")
    first = make_case(MOMBASA)
    second = make_case(MOMBASA)
    linked = case_row(db, second)
    assert linked.repeat_of_id is not None, "a second report from the same phone is linked"
    browser = signed_in(console, "daudi")
    page = f"/staff/cases/{second}"
    assert f"Possible repeat of case {format_reference(first)}" in browser.get(page).get_data(
        as_text=True
    )

    assert browser.submit(f"{page}/repeat", {"decision": "different"}, page=page).status_code == 302
    assert case_row(db, second).repeat_confirmed is False
    assert browser.submit(f"{page}/unlink", {}, page=page).status_code == 302
    assert case_row(db, second).repeat_of_id is None
    refused = browser.submit(f"{page}/repeat", {"decision": "same"}, page=page)
    assert refused.status_code == 409
    assert "no repeat link" in refused.get_data(as_text=True)


def test_an_action_without_its_token_is_refused_and_writes_nothing(make_case, console, wanjiru, db):
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    browser = signed_in(console, "wanjiru")
    before = events(db, reference)

    answer = browser.client.post(f"/staff/cases/{reference}/acknowledge", data={})

    assert answer.status_code == 400
    assert events(db, reference) == before
    assert hidden_fields  # the helper the other tests post with
