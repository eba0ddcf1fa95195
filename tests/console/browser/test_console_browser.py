"""The console in a real browser: sign in with the keyboard, log a call that becomes a high
case (the on-call caseworker's alert is then in the message log), the same pages in Arabic,
laid out right to left, and one case's whole course: a service provider registered, the call,
assigning, acknowledging, a note, a referral, closing."""

from __future__ import annotations

from console_call_data import CALLER, CASEWORKER_PHONE, MOMBASA, NARRATIVE
from console_client import PASSWORD
from sqlalchemy import select

from case_store.enums import CaseStatus, MessagePurpose, RiskLevel
from case_store.models import Case, Message
from case_store.references import format_reference

CLINIC_PHONE = "+254700222001"


def sign_in(page, username: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Username").fill(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")


def test_an_agent_logs_a_call_that_becomes_a_high_case_and_alerts_the_caseworker(
    page, screenshot, make_staff, app, db
):
    make_staff("amina", "hotline_agent")
    make_staff("wanjiru", "caseworker", phone=CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)
    sign_in(page, "amina")
    page.get_by_role("link", name="Log a call").first.click()
    page.wait_for_url("**/staff/calls/new")

    page.get_by_label("Silent call").check()
    assert not page.get_by_role("group", name="Main concern").is_visible()  # only what applies
    page.get_by_label("New case: a concern about a child").check()
    assert page.get_by_role("group", name="Main concern").is_visible()
    page.get_by_label("Caller's number").fill(CALLER)
    page.get_by_role("group", name="Is a child in danger right now?").get_by_label("No").check()
    page.get_by_label("Sexual abuse").check()
    page.get_by_label("12-14").check()
    page.get_by_label("Girl").check()
    page.get_by_label("Area", exact=True).fill("Mombasa")
    page.get_by_label("Neighbour or community").check()
    page.get_by_label("What the caller said").fill(NARRATIVE)
    page.get_by_label("Evening").check()
    screenshot(page, "filled")
    page.get_by_role("button", name="Save call").click()

    notice = page.get_by_role("status")
    notice.wait_for()
    screenshot(page, "saved")
    with db() as session:
        case = session.scalars(select(Case)).one()
        alert = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.ALERT)
        ).one()
        vault = app.extensions["kinga"].vault
        assert case.risk_level is RiskLevel.HIGH
        assert vault.decrypt(alert.phone_encrypted) == CASEWORKER_PHONE
        assert format_reference(case.reference) in vault.decrypt(alert.body_encrypted)
    text = notice.inner_text()
    assert f"Case {format_reference(case.reference)} opened, level High." in text
    assert CALLER not in page.content()  # masked once saved
    assert page.get_by_label("Caller's number").input_value() == ""  # a blank form, next call


def test_arabic_pages_are_laid_out_right_to_left(page, screenshot, make_staff):
    make_staff("amina", "hotline_agent")
    sign_in(page, "amina")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url("**/staff/")
    page.goto("/staff/calls/new")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    width = page.viewport_size["width"]
    brand = page.locator(".brand").bounding_box()
    save = page.get_by_role("button", name="حفظ المكالمة").bounding_box()
    assert brand["x"] > width / 2  # the header starts on the right
    assert save["x"] + save["width"] > width / 2  # so do the form's controls
    direction = page.evaluate("getComputedStyle(document.querySelector('main')).direction")
    assert direction == "rtl"
    screenshot(page, "arabic-call-form")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login**")


def log_high_call(page) -> None:
    page.goto("/staff/calls/new")
    page.get_by_label("New case: a concern about a child").check()
    page.get_by_label("Caller's number").fill(CALLER)
    page.get_by_role("group", name="Is a child in danger right now?").get_by_label("No").check()
    page.get_by_label("Sexual abuse").check()
    page.get_by_label("12-14").check()
    page.get_by_label("Girl").check()
    page.get_by_label("Area", exact=True).fill("Mombasa")
    page.get_by_label("Neighbour or community").check()
    page.get_by_label("What the caller said").fill(NARRATIVE)
    page.get_by_role("group", name="Agrees to services").get_by_label("Yes").check()
    page.get_by_role("button", name="Save call").click()
    page.get_by_role("status").wait_for()


def test_a_high_case_from_call_to_referral_and_closing(page, screenshot, make_staff, app, db):
    """An administrator registers a clinic; an agent logs a call that becomes a high case; a
    supervisor assigns it; the caseworker acknowledges it, adds a note, refers it to the
    clinic and closes it."""
    make_staff("root", "admin")
    make_staff("amina", "hotline_agent")
    make_staff("daudi", "supervisor", areas=[MOMBASA])
    make_staff("wanjiru", "caseworker", phone=CASEWORKER_PHONE, areas=[MOMBASA], on_call=True)

    sign_in(page, "root")
    page.get_by_role("link", name="Service providers").first.click()
    page.get_by_role("link", name="New service provider").click()
    page.get_by_label("Name of the organisation").fill("Coast Clinic")
    page.get_by_label("Health").check()
    page.get_by_label("Phone", exact=True).fill(CLINIC_PHONE)
    page.get_by_label("Areas it serves").fill("Mombasa")
    screenshot(page, "provider-form")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Service provider Coast Clinic created."
    assert CLINIC_PHONE not in page.content()  # masked in the list
    screenshot(page, "provider")
    sign_out(page)

    sign_in(page, "amina")
    log_high_call(page)
    with db() as session:
        case = session.scalars(select(Case)).one()
    reference = format_reference(case.reference)
    assert case.risk_level is RiskLevel.HIGH
    sign_out(page)

    sign_in(page, "daudi")
    page.get_by_role("link", name="Cases").first.click()
    page.get_by_role("link", name=reference).click()
    page.get_by_label("Assign to").select_option(label="wanjiru")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Case assigned to wanjiru."
    sign_out(page)

    sign_in(page, "wanjiru")
    page.goto("/staff/cases?show=mine")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_role("status").inner_text() == "Case acknowledged."
    page.get_by_label("New note").fill("Spoke to the aunt; the child is safe tonight.")
    page.get_by_role("button", name="Add note").click()
    assert page.get_by_role("status").inner_text() == "Note added."
    page.get_by_label("Service needed").select_option("health")
    page.get_by_role("button", name="Refer").click()
    notice = page.get_by_role("status").inner_text()
    assert notice.startswith("Referral ") and notice.endswith(" sent to Coast Clinic.")
    page.get_by_label("Reason for closing").select_option("referred")
    screenshot(page, "closing")
    page.get_by_role("button", name="Close the case").click()

    assert page.get_by_role("status").inner_text() == "Case closed: Referred to services."
    assert "Spoke to the aunt; the child is safe tonight." in page.content()
    screenshot(page, "closed")
    vault = app.extensions["kinga"].vault
    with db() as session:
        case = session.scalars(select(Case)).one()
        [referral] = case.referrals
        sent = session.scalars(
            select(Message).where(Message.purpose == MessagePurpose.REFERRAL)
        ).one()
        assert case.status is CaseStatus.CLOSED and case.acknowledged_at is not None
        assert case.assigned_to.username == "wanjiru" and len(case.notes) == 1
        assert referral.service_provider.name == "Coast Clinic"
        assert vault.decrypt(sent.phone_encrypted) == CLINIC_PHONE
