"""'Take this case': a caseworker takes an unassigned case of their area for themselves with
one button (the ``claim`` operation, audited); another area's case, or one a colleague holds,
is refused with 403 and the refusal is on their trail."""

from __future__ import annotations

from console_records import counts, trail
from sqlalchemy import select

from case_store.models import Case

MOMBASA, NAIROBI = "001", "047"
TAKE = "Take this case"


def case_row(db, reference: str) -> Case:
    with db() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        session.expunge(case)
        return case


def assignments(db, reference: str) -> list[tuple[int | None, dict]]:
    with db() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        return [(e.actor_user_id, e.data) for e in case.events if e.kind.value == "assigned"]


def signed_in(console, username):
    browser = console()
    browser.sign_in(username)
    return browser


def test_a_caseworker_takes_an_unassigned_case_of_their_area(make_staff, make_case, console, db):
    wanjiru = make_staff("wanjiru", "caseworker", areas=[MOMBASA])
    reference = make_case(MOMBASA)
    browser = signed_in(console, "wanjiru")
    page = f"/staff/cases/{reference}"
    assert TAKE in browser.get(page).get_data(as_text=True)

    answer = browser.submit(f"{page}/take", {}, page=page)

    assert answer.status_code == 302 and answer.headers["Location"] == page
    case = case_row(db, reference)
    assert case.assigned_to_id == wanjiru and case.acknowledged_at is None
    [(by, data)] = assignments(db, reference)
    assert by == wanjiru and data["after"]["claimed"] is True
    shown = browser.get(page).get_data(as_text=True)
    assert "You took this case. Acknowledge it once you have read it." in shown
    assert TAKE not in shown and "Acknowledge</button>" in shown


def test_taking_a_case_one_holds_already_changes_nothing(make_staff, make_case, console, db):
    wanjiru = make_staff("wanjiru", "caseworker", areas=[MOMBASA])
    reference = make_case(MOMBASA, assigned_to=wanjiru)
    page = f"/staff/cases/{reference}"
    browser = signed_in(console, "wanjiru")

    answer = browser.submit(f"{page}/take", {}, page=page)

    assert answer.status_code == 302
    assert assignments(db, reference) == []
    assert "You already hold this case." in browser.get(page).get_data(as_text=True)


def test_a_case_a_colleague_holds_is_refused_and_the_refusal_audited(
    make_staff, make_case, console, db
):
    make_staff("wanjiru", "caseworker", areas=[MOMBASA])
    baraka = make_staff("baraka", "caseworker", areas=[MOMBASA])
    reference = make_case(MOMBASA, assigned_to=baraka)
    page = f"/staff/cases/{reference}"
    browser = signed_in(console, "wanjiru")
    assert TAKE not in browser.get(page).get_data(as_text=True)
    before = counts(db)

    answer = browser.submit(f"{page}/take", {}, page=page)

    assert answer.status_code == 403
    text = answer.get_data(as_text=True)
    assert "Your role, areas or assignment do not allow this on this case." in text
    assert case_row(db, reference).assigned_to_id == baraka
    kind, after = trail(db, "wanjiru")[-1]
    assert kind == "refused" and after["action"] == "claim"
    assert after["case_id"] == case_row(db, reference).id
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}


def test_another_areas_case_is_refused_and_the_refusal_audited(make_staff, make_case, console, db):
    make_staff("wanjiru", "caseworker", areas=[MOMBASA])
    reference = make_case(NAIROBI)
    browser = signed_in(console, "wanjiru")
    before = counts(db)

    answer = browser.submit(f"/staff/cases/{reference}/take", {}, page="/staff/cases")

    assert answer.status_code == 403
    assert case_row(db, reference).assigned_to_id is None
    kind, after = trail(db, "wanjiru")[-1]
    assert kind == "refused" and after["case_id"] == case_row(db, reference).id
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}


def test_only_those_who_could_hold_the_case_see_the_button(make_staff, make_case, console):
    make_staff("amina", "hotline_agent")
    make_staff("daudi", "supervisor")
    make_staff("root", "admin")
    reference = make_case(MOMBASA)

    def offered(username: str) -> bool:
        page = signed_in(console, username).get(f"/staff/cases/{reference}")
        return TAKE in page.get_data(as_text=True)

    # An administrator may act on any case but holds none (a supervisor assigns).
    assert (offered("amina"), offered("daudi"), offered("root")) == (False, True, False)


def test_the_list_offers_the_unassigned_cases_to_take_and_taking_opens_the_case(
    make_staff, make_case, console, db
):
    wanjiru = make_staff("wanjiru", "caseworker", areas=[MOMBASA])
    baraka = make_staff("baraka", "caseworker", areas=[MOMBASA])
    free = make_case(MOMBASA)
    held = make_case(MOMBASA, assigned_to=baraka)
    browser = signed_in(console, "wanjiru")

    page = browser.get("/staff/cases").get_data(as_text=True)
    assert f'action="/staff/cases/{free}/take"' in page
    assert f'action="/staff/cases/{held}/take"' not in page and "baraka" in page

    answer = browser.submit(f"/staff/cases/{free}/take", {}, page="/staff/cases")

    assert answer.status_code == 302 and answer.headers["Location"] == f"/staff/cases/{free}"
    assert case_row(db, free).assigned_to_id == wanjiru
    assert f'action="/staff/cases/{free}/take"' not in browser.get("/staff/cases").get_data(
        as_text=True
    )
