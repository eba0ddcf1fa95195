"""Service providers in the console: an administrator lists, creates, changes, deactivates and
reactivates them through the provider operations, each audited under their name; the store's
refusals are shown on their field with nothing stored; phones are shown masked."""

from __future__ import annotations

import re

import pytest
from console_records import counts, user_row
from sqlalchemy import select

from case_store.enums import Service, ServiceProviderEventKind
from case_store.models import ServiceProvider, ServiceProviderEvent

CLINIC_PHONE = "+254700222001"
WORK_PHONE = "+254700111001"
NEW_CLINIC = {
    "name": "Coast  Clinic",
    "services": ["health", "psychosocial"],
    "phone": "+254 700 222 001",
    "areas": "Mombasa",
    "language": "sw",
}


@pytest.fixture
def admin(make_staff, console):
    make_staff("admin", "admin")
    browser = console()
    browser.sign_in("admin")
    return browser


def providers(db) -> list[ServiceProvider]:
    with db() as session:
        found = list(session.scalars(select(ServiceProvider).order_by(ServiceProvider.id)))
        session.expunge_all()
        return found


def provider_events(db, provider_id: int) -> list[tuple[str, str, int | None, dict]]:
    with db() as session:
        rows = session.scalars(
            select(ServiceProviderEvent)
            .where(ServiceProviderEvent.service_provider_id == provider_id)
            .order_by(ServiceProviderEvent.id)
        )
        return [(e.kind.value, e.actor, e.actor_user_id, e.data) for e in rows]


def field_error(page: str, field: str) -> str:
    """The error shown on ``field`` ("" if none)."""
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return "" if error is None else error.group(1)


def user_id(db, username: str) -> int:
    return user_row(db, username).id


def test_an_admin_creates_a_provider_audited_under_their_name_and_listed_masked(admin, app, db):
    answer = admin.submit("/staff/services/new", NEW_CLINIC)

    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/services"
    [clinic] = providers(db)
    vault = app.extensions["kinga"].vault
    assert clinic.name == "Coast Clinic" and clinic.active
    assert clinic.services == [Service.MEDICAL.value, Service.PSYCHOSOCIAL.value]
    assert clinic.areas == ["001"] and clinic.languages == ["sw"]
    assert vault.decrypt(clinic.phone_encrypted) == CLINIC_PHONE
    [(kind, actor, by, data)] = provider_events(db, clinic.id)
    assert (kind, actor, by) == ("created", "user", user_id(db, "admin"))
    assert CLINIC_PHONE not in str(data) and data["after"]["has_phone"] is True
    page = admin.get("/staff/services").get_data(as_text=True)
    assert "Service provider Coast Clinic created." in page
    assert "Coast Clinic" in page and "Health, Psychosocial support" in page
    assert "Kiswahili" in page or "Swahili" in page
    assert CLINIC_PHONE not in page and "222001" not in page
    assert re.search(r"\+2547\S*001", page)  # masked: the country code and the last digits


@pytest.mark.parametrize(
    ("taken_by", "change"),
    [("staff", {}), ("provider", {"name": "Another clinic"})],
    ids=["a staff work phone", "another provider's phone"],
)
def test_a_phone_that_is_taken_is_refused_on_its_field_and_nothing_is_stored(
    admin, make_staff, make_provider, db, taken_by, change
):
    if taken_by == "staff":
        make_staff("wanjiru", "caseworker", phone=CLINIC_PHONE)
    else:
        make_provider("Coast Clinic", phone=CLINIC_PHONE)
    before = counts(db)

    answer = admin.submit("/staff/services/new", NEW_CLINIC | change)

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert field_error(page, "phone") == (
        "This number is already another service provider's or a staff work phone."
    )
    assert 'aria-describedby="phone-hint phone-error" aria-invalid="true"' in page
    assert counts(db) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"phone": ""}, "phone", "Give its phone: referrals are sent there."),
        ({"phone": "12"}, "phone", "Write the number with its country code"),
        ({"services": []}, "services", "Choose at least one service."),
        ({"services": ["astrology"]}, "services", "not a valid choice"),
        ({"areas": "Atlantis"}, "areas", "An area is not known"),
        ({"name": " "}, "name", "Give the organisation"),
        ({"name": "x" * 61}, "name", "60"),
    ],
    ids=[
        "no phone",
        "bad phone",
        "no service",
        "unknown service",
        "unknown area",
        "no name",
        "long name",
    ],
)
def test_bad_input_is_shown_on_its_field_and_nothing_is_stored(admin, db, change, field, message):
    before = counts(db)

    answer = admin.submit("/staff/services/new", NEW_CLINIC | change)

    assert answer.status_code in (200, 422)
    assert message in field_error(answer.get_data(as_text=True), field)
    assert counts(db) == before


def test_an_admin_changes_a_provider_and_what_is_not_changed_stays(admin, make_provider, app, db):
    clinic = make_provider(
        "Coast Clinic", phone=CLINIC_PHONE, areas=("001",), languages=("sw", "en")
    )
    page = admin.get(f"/staff/services/{clinic}").get_data(as_text=True)
    assert CLINIC_PHONE not in page and 'value="Coast Clinic"' in page

    answer = admin.submit(
        f"/staff/services/{clinic}",
        {
            "name": "Coast Clinic Likoni",
            "services": ["health", "shelter"],
            "phone": "",
            "areas": "001, 047",
            "language": "sw",
        },
    )

    assert answer.status_code == 302
    [changed] = providers(db)
    assert changed.name == "Coast Clinic Likoni" and changed.areas == ["001", "047"]
    assert changed.services == [Service.MEDICAL.value, Service.SHELTER.value]
    assert changed.languages == ["sw", "en"]  # the same language first: the list kept
    assert app.extensions["kinga"].vault.decrypt(changed.phone_encrypted) == CLINIC_PHONE
    kinds = [(kind, actor, by) for kind, actor, by, _ in provider_events(db, clinic)]
    assert kinds == [("created", "admin_cli", None), ("updated", "user", user_id(db, "admin"))]
    assert provider_events(db, clinic)[-1][3]["after"]["phone_changed"] is False


def test_a_new_phone_that_is_a_staff_work_phone_is_refused_and_the_old_one_stays(
    admin, make_staff, make_provider, app, db
):
    make_staff("wanjiru", "caseworker", phone=WORK_PHONE)
    clinic = make_provider("Coast Clinic", phone=CLINIC_PHONE)
    before = counts(db)

    answer = admin.submit(
        f"/staff/services/{clinic}",
        {"name": "Coast Clinic", "services": ["health"], "phone": WORK_PHONE, "language": "en"},
    )

    assert answer.status_code == 422
    assert "a staff work phone" in field_error(answer.get_data(as_text=True), "phone")
    assert counts(db) == before
    [kept] = providers(db)
    assert app.extensions["kinga"].vault.decrypt(kept.phone_encrypted) == CLINIC_PHONE


def test_an_admin_deactivates_and_reactivates_a_provider(admin, make_provider, db):
    clinic = make_provider("Coast Clinic", phone=CLINIC_PHONE)
    page = f"/staff/services/{clinic}"

    answer = admin.submit(f"{page}/deactivate", {}, page=page)
    assert answer.status_code == 302 and not providers(db)[0].active
    shown = admin.get(page).get_data(as_text=True)
    assert "Coast Clinic deactivated: no new referral goes there." in shown
    assert "Reactivate Coast Clinic" in shown and "Deactivate Coast Clinic" not in shown
    again = admin.submit(f"{page}/deactivate", {}, page=page)  # a second click: nothing more
    assert again.status_code == 302

    answer = admin.submit(f"{page}/reactivate", {}, page=page)

    assert answer.status_code == 302 and providers(db)[0].active
    kinds = [(kind, actor) for kind, actor, _, _ in provider_events(db, clinic)]
    assert kinds == [
        ("created", "admin_cli"),
        (ServiceProviderEventKind.DEACTIVATED.value, "user"),
        (ServiceProviderEventKind.REACTIVATED.value, "user"),
    ]


def test_a_post_without_its_token_changes_nothing(admin, make_provider, db):
    clinic = make_provider("Coast Clinic", phone=CLINIC_PHONE)
    before = counts(db)

    answer = admin.client.post(f"/staff/services/{clinic}/deactivate")

    assert answer.status_code == 400
    assert providers(db)[0].active
    # Nothing changed but the refusal, on the administrator's trail.
    assert counts(db) == before | {"roster_event": before["roster_event"] + 1}


def test_the_list_filters_by_service_area_and_status(admin, make_provider):
    make_provider("Coast Clinic", phone=CLINIC_PHONE, areas=("001",))
    make_provider("Nairobi Shelter", phone="+254700222002", services=("shelter",), areas=("047",))
    make_provider("Police Desk", phone="+254700222003", services=("police",))
    gone = make_provider("Old Clinic", phone="+254700222004")
    page = f"/staff/services/{gone}"
    admin.submit(f"{page}/deactivate", {}, page=page)

    def shown(query: str) -> set[str]:
        text = admin.get(f"/staff/services?{query}").get_data(as_text=True)
        return set(re.findall(r'href="/staff/services/\d+">([^<]+)</a>', text))

    assert shown("") == {"Coast Clinic", "Nairobi Shelter", "Police Desk", "Old Clinic"}
    assert shown("service=health") == {"Coast Clinic", "Old Clinic"}
    assert shown("area=047") == {"Nairobi Shelter", "Police Desk", "Old Clinic"}  # every area
    assert shown("status=active&service=health") == {"Coast Clinic"}
    assert shown("status=inactive") == {"Old Clinic"}
    assert shown("service=astrology") == shown("")  # a filter it does not know: all


def test_a_supervisor_sees_the_providers_but_changes_none(make_staff, make_provider, console):
    make_staff("daudi", "supervisor")
    make_provider("Coast Clinic", phone=CLINIC_PHONE)
    browser = console()
    browser.sign_in("daudi")

    home = browser.get("/staff/").get_data(as_text=True)
    page = browser.get("/staff/services").get_data(as_text=True)

    assert 'href="/staff/services"' in home
    assert "Coast Clinic" in page and CLINIC_PHONE not in page
    assert 'href="/staff/services/' not in page and "New service provider" not in page
    assert browser.get("/staff/services/new").status_code == 403


def test_only_those_who_see_providers_find_them_in_the_menu(make_staff, console):
    for name, role in (("amina", "hotline_agent"), ("wanjiru", "caseworker"), ("root", "admin")):
        make_staff(name, role)
        browser = console()
        browser.sign_in(name)
        home = browser.get("/staff/").get_data(as_text=True)
        assert ('href="/staff/services"' in home) is (role == "admin"), role
