"""Cases through the API: updates need the case's ETag, a retried create opens one case, the
cursor pages through every case once, and what is read is what the console would show."""

from __future__ import annotations

from sqlalchemy import select

from case_store.models import Case, CaseEvent, Note
from case_store.references import format_reference

CALL = {
    "language": "en",
    "phone": "+254712000999",
    "danger": "yes",
    "category": "physical_violence",
    "age_band": "5_11",
    "sex": "girl",
    "area": "001",
    "relationship": "family",
    "narrative": "Her uncle beats her every evening.",
    "callback_time": "evening",
}


def test_an_update_needs_the_case_s_current_etag(caller, make_case, rows):
    admin = caller("amina", "admin")
    reference = make_case()
    read = admin.get(f"/api/v1/cases/{reference}")
    tag = read.headers["ETag"]
    assert read.get_json()["level"] == "low"
    url = f"/api/v1/cases/{reference}/level"
    before = rows()

    missing = admin.post(url, {"level": "high"})
    assert missing.status_code == 428
    assert missing.get_json()["error"]["code"] == "precondition_required"
    stale = admin.post(url, {"level": "high"}, headers={"If-Match": '"0123456789abcdef"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "precondition_failed"
    assert rows() == before

    changed = admin.post(url, {"level": "high"}, headers={"If-Match": tag})
    assert changed.status_code == 200 and changed.get_json()["level"] == "high"
    assert changed.headers["ETag"] != tag
    assert admin.get(f"/api/v1/cases/{reference}").headers["ETag"] == changed.headers["ETag"]
    again = admin.post(url, {"level": "medium", "reason": "x"}, headers={"If-Match": tag})
    assert again.status_code == 412


def test_reading_never_changes_the_etag(caller, make_case):
    admin = caller("amina", "admin")
    reference = make_case()
    tag = admin.get(f"/api/v1/cases/{reference}").headers["ETag"]
    admin.post(f"/api/v1/cases/{reference}/notes", {"text": "Spoke to the teacher."})
    tag = admin.get(f"/api/v1/cases/{reference}").headers["ETag"]
    admin.get(f"/api/v1/cases/{reference}/notes")
    admin.get(f"/api/v1/cases/{reference}/timeline")
    assert admin.get(f"/api/v1/cases/{reference}").headers["ETag"] == tag


def test_assign_acknowledge_close_and_reopen(caller, make_staff, make_case):
    admin = caller("amina", "admin")
    make_staff("wanjiru", "caseworker", areas=["001"])
    reference = make_case()
    assert admin.update(reference, "acknowledge").status_code == 409  # nobody holds it
    assigned = admin.update(reference, "assign", {"assignee": "wanjiru"})
    assert assigned.get_json()["assigned_to"] == "wanjiru"
    assert admin.update(reference, "assign", {"assignee": "nobody"}).status_code == 422
    lowered = admin.update(reference, "level", {"level": "low"})
    assert lowered.status_code == 409  # it is low already
    closed = admin.update(reference, "close", {"reason": "resolved"})
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closure_reason"] == "resolved"
    assert admin.update(reference, "close", {"reason": "resolved"}).status_code == 409
    assert admin.update(reference, "reopen").get_json()["status"] != "closed"


def test_lowering_the_level_needs_a_reason(caller, make_case):
    admin = caller("amina", "admin")
    reference = make_case(danger="yes")
    assert admin.get(f"/api/v1/cases/{reference}").get_json()["level"] == "immediate"
    refused = admin.update(reference, "level", {"level": "low"})
    assert refused.status_code == 422
    assert (
        admin.update(reference, "level", {"level": "low", "reason": "Safe now."}).status_code == 200
    )


def test_a_retried_create_opens_one_case_and_alerts_once(caller, db, rows):
    agent = caller("baraka", "hotline_agent")
    headers = {"Idempotency-Key": "3f0c1c8e-5d1b-4b1e-9a55-0c3d2d6d1a11"}
    first = agent.post("/api/v1/cases", CALL, headers=headers)
    assert first.status_code == 201, first.get_json()
    counted = rows()
    again = agent.post("/api/v1/cases", CALL, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert rows() == counted
    document = first.get_json()
    assert document["level"] == "immediate" and document["immediate_danger"] is True
    assert first.headers["Location"].endswith(document["reference"].replace("-", ""))
    other = agent.post("/api/v1/cases", CALL, headers={"Idempotency-Key": "another-key-1"})
    assert other.status_code == 201
    assert other.get_json()["reference"] != document["reference"]
    with db() as session:
        assert len(session.scalars(select(Case)).all()) == 2


def test_a_create_without_its_key_or_with_a_bad_call_writes_nothing(caller, rows):
    agent = caller("baraka", "hotline_agent")
    before = rows()
    keyless = agent.post("/api/v1/cases", CALL)
    assert keyless.status_code == 422
    assert "Idempotency-Key" in keyless.get_json()["error"]["fields"]["headers"]
    key = {"Idempotency-Key": "a-good-key-123"}
    for bad in (
        CALL | {"area": "999"},
        CALL | {"language": "xx"},
        CALL | {"phone": "12"},
        {k: v for k, v in CALL.items() if k != "phone"},  # a call back needs the number
        CALL | {"category": "other things"},
        CALL | {"narrative": "a\x00b"},
    ):
        answer = agent.post("/api/v1/cases", bad, headers=key)
        assert answer.status_code == 422, bad
        assert set(answer.get_json()["error"]) >= {"code", "message"}
    assert agent.post("/api/v1/cases", "not json", headers=key).status_code in (400, 422)
    assert rows() == before


def test_the_cursor_pages_through_every_case_exactly_once(caller, make_case, make_staff):
    admin = caller("amina", "admin")
    made = {format_reference(make_case(area="001" if n % 2 else "002")) for n in range(7)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/api/v1/cases", query_string=query).get_json()
        seen += [case["reference"] for case in page["cases"]]
        pages += 1
        # A case opened while paging takes its place before the first page: never seen twice.
        if pages == 1:
            make_case()
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) and set(seen) == made


def test_the_list_takes_the_console_s_filters(caller, make_case, make_staff):
    wanjiru = caller("wanjiru", "caseworker", areas=["001"])
    admin = caller("amina", "admin")
    mine = make_case(assigned_to=wanjiru.user_id)
    make_case()
    make_case(area="002", danger="yes")

    def references(who, **query):
        answer = who.get("/api/v1/cases", query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return {case["reference"] for case in answer.get_json()["cases"]}

    assert len(references(wanjiru)) == 2  # not another area's
    assert references(wanjiru, mine="true") == {format_reference(mine)}
    assert len(references(wanjiru, unassigned="true")) == 1
    assert len(references(admin, level="immediate")) == 1
    assert len(references(admin, area="002")) == 1
    assert len(references(admin, status="active")) == 3
    assert references(admin, status="closed") == set()
    assert references(admin, overdue="true") == set()
    bad = admin.get("/api/v1/cases", query_string={"cursor": "forged"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_cursor"
    assert admin.get("/api/v1/cases", query_string={"area": "nowhere"}).status_code == 422
    assert admin.get("/api/v1/cases", query_string={"level": "huge"}).status_code == 422


def test_notes_are_read_by_those_who_may_and_each_reading_is_audited(caller, make_case, db):
    admin = caller("amina", "admin")
    agent = caller("baraka", "hotline_agent")
    reference = make_case()
    added = agent.post(f"/api/v1/cases/{reference}/notes", {"text": "Called the school."})
    assert added.status_code == 201
    assert agent.get(f"/api/v1/cases/{reference}/notes").status_code == 403
    notes = admin.get(f"/api/v1/cases/{reference}/notes").get_json()
    assert [(n["author"], n["text"]) for n in notes] == [("baraka", "Called the school.")]
    timeline = admin.get(f"/api/v1/cases/{reference}/timeline").get_json()
    assert "Called the school." not in str(timeline)
    with db() as session:
        kinds = [e.kind.value for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id))]
        assert kinds.count("revealed") == 1
        stored = session.scalars(select(Note)).one().body_encrypted
        assert b"Called the school" not in stored


def test_contacts_referrals_and_messages(caller, make_case, runner):
    admin = caller("amina", "admin", phone="+254700111001")
    reference = make_case(consent=True)
    contact = admin.post(f"/api/v1/cases/{reference}/contacts", {"consent_services": True})
    assert contact.status_code == 200
    assert contact.get_json()["first_contact_recorded"] is True
    again = admin.post(f"/api/v1/cases/{reference}/contacts", {})
    assert again.get_json()["first_contact_recorded"] is False

    none_there = admin.post(f"/api/v1/cases/{reference}/referrals", {"service": "health"})
    assert none_there.status_code == 409
    assert none_there.get_json()["error"]["code"] == "no_provider"
    clinic = ["Clinic", "--type", "health", "--areas", "001", "--phone", "+254700222333"]
    made = runner.invoke(args=["services", "create", *clinic])
    assert made.exit_code == 0, made.output
    referred = admin.post(f"/api/v1/cases/{reference}/referrals", {"service": "health"})
    assert referred.status_code == 201, referred.get_json()
    assert referred.get_json()["provider"] == "Clinic"
    listed = admin.get(f"/api/v1/cases/{reference}/referrals").get_json()
    assert [r["code"] for r in listed] == [referred.get_json()["code"]]

    messages = admin.get(f"/api/v1/cases/{reference}/messages").get_json()
    assert messages, "the referral's SMS is filed under the case"
    assert all("254700222333" not in str(m) for m in messages)
    assert any(m["phone"] == "+2547•••••333" for m in messages)


def test_daily_counts(caller, make_case):
    supervisor = caller("neema", "supervisor", areas=["001"])
    make_case()
    make_case(area="002")
    counts = supervisor.get("/api/v1/counts/daily").get_json()
    assert sum(row["cases"] for row in counts["rows"]) == 1  # their area only
    backwards = supervisor.get(
        "/api/v1/counts/daily", query_string={"first": "2026-02-02", "last": "2026-01-01"}
    )
    assert backwards.status_code == 422


def test_unknown_addresses_and_methods_answer_in_the_api_s_format(caller):
    admin = caller("amina", "admin")
    for answer, status in (
        (admin.get("/api/v1/nothing-here"), 404),
        (admin.get("/api/v1/cases/482177302"), 404),
        (admin.get("/api/v1/cases/not-a-reference"), 404),
        (admin.client.delete("/api/v1/cases", headers=admin.headers()), 405),
    ):
        assert answer.status_code == status
        assert answer.is_json and answer.get_json()["error"]["message"]
