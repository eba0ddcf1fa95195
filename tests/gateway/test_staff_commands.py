"""CALLED (with the reporter's answer on services), LEVEL, CASES and HELP by SMS, and every staff
command in every shipped language: keywords in the caseworker's words, replies in their
language, refusals that change nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sms_client import Texter
from sqlalchemy import select
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    NAIROBI,
    NAIROBI_PHONE,
    OTHER_CASEWORKER_PHONE,
    SUPERVISOR_PHONE,
    add_staff,
    open_report,
    replies_to,
)
from stored import snapshot

from case_store.enums import CaseStatus, EventKind, RiskLevel
from case_store.models import Case, CaseEvent, Note, User
from case_store.operations import claim, record_first_contact
from case_store.queries.cases import find_case_by_reference, is_overdue
from case_store.queries.users import find_user
from case_store.references import format_reference
from dialogs.encoding import analyse
from dialogs.render import fold_to_gsm7, load_translations
from gateway.channels.sms.intake import receive
from gateway.channels.sms.staff import replies
from gateway.channels.sms.staff.replies import Voice
from gateway.channels.sms.staff.verbs import VERBS, CaseVerb
from gateway.config.profile import load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT
from gateway.providers.events import InboundSms

PROFILE = load_profile(DEFAULT_DEPLOYMENT)
# Monday 2 March 2026, 12:30 in Nairobi (UTC+3).
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
_ids = count(1)


def staff_phone(app, name="amina", role="caseworker", phone=CASEWORKER_PHONE, **fields):
    add_staff(app, name, role, phone, **fields)
    return Texter(app.test_client(), phone=phone)


def last(db, app, phone: Texter) -> str:
    return replies_to(db, app, phone.phone)[-1]


def the_case(db, reference: str) -> Case:
    with db() as session:
        case = find_case_by_reference(session, reference)
        assert case is not None
        _ = list(case.events), list(case.notes)
        return case


def kinds(db, reference: str) -> list[EventKind]:
    return [event.kind for event in the_case(db, reference).events]


def text_at(app, phone: str, text: str, now: datetime) -> None:
    """An SMS from ``phone`` handled at ``now`` (a frozen clock), as the webhook hands it on."""
    sms = InboundSms("twilio", f"SM{next(_ids):032x}", phone, "+15005550006", text, now)
    receive(app.extensions["kinga"], sms, now=now)


class Words:
    """The staff words and replies a reader of ``language`` gets, from the tree and catalogs."""

    def __init__(self, app, language: str) -> None:
        self.staff = app.extensions["kinga"].tree.sms.staff
        self.language = language
        self.translations = load_translations(language)

    def verb(self, verb: str) -> str:
        return self.staff.display(self.staff.verbs, verb, self.language)

    def level(self, level: str) -> str:
        return self.staff.display(self.staff.levels, level, self.language)

    def reason(self, reason: str) -> str:
        return self.staff.display(self.staff.reasons, reason, self.language)

    def consent(self, answer: str) -> str:
        return self.staff.display(self.staff.consent, answer, self.language)

    def reply(self, message: str, **values: str) -> str:
        words = {verb.upper(): self.verb(verb) for verb in VERBS}
        words |= {"HIGH": self.level("high"), "RESOLVED": self.reason("resolved"), "pin": ""}
        words |= {"CONSENT": self.consent("yes"), "NOCONSENT": self.consent("no")}
        text = self.translations.gettext(message).format_map(words | values)
        return fold_to_gsm7(text) if self.language in PROFILE.fold_accents else text


def test_called_records_the_first_contact_once(app, db, runner):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5), danger="yes")
    shown = format_reference(reference)
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    phone.send(f"ACK {reference}")
    phone.send(f"Called {shown}.")
    assert last(db, app, phone) == (
        f"Kinga: first contact on case {shown} recorded. Its first-contact clock is stopped."
    )
    case = the_case(db, reference)
    event = case.events[-1]
    assert event.kind is EventKind.FIRST_CONTACT_MADE and event.actor == "user"
    with db() as session:
        user = find_user(session, "amina")
        assert user is not None and event.actor_user_id == user.id
    assert case.first_contacted_at is not None
    assert not is_overdue(case, case.first_contact_by + timedelta(days=1))

    phone.send(f"CALLED {reference}")
    again = last(db, app, phone)
    assert re.fullmatch(
        rf"Kinga: first contact on case {shown} was recorded already \(\d\d:\d\d\)\. "
        "Nothing changed.",
        again,
    ), again
    assert kinds(db, reference).count(EventKind.FIRST_CONTACT_MADE) == 1
    assert the_case(db, reference).first_contacted_at == case.first_contacted_at
    shown_json = runner.invoke(args=["cases", "show", reference, "--json"])
    deadlines = json.loads(shown_json.stdout)["deadlines"]
    assert deadlines["first_contacted_at"] == case.first_contacted_at.isoformat()
    assert deadlines["overdue"] is False
    assert " (made 20" in runner.invoke(args=["cases", "show", reference]).stdout


def test_called_refusals_change_nothing(app, db):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    shown = format_reference(reference)
    before = kinds(db, reference)
    on_call = staff_phone(app, areas=[MOMBASA], on_call=True)
    on_call.send(f"CALLED {reference}")
    assert last(db, app, on_call) == (
        f"Kinga: case {shown} is not assigned to you. Reply ACK {shown} first. Nothing changed."
    )
    elsewhere = staff_phone(app, "chebet", phone=NAIROBI_PHONE, areas=[NAIROBI])
    elsewhere.send(f"CALLED {reference}")
    assert "is outside your role or areas" in last(db, app, elsewhere)
    on_call.send(f"ACK {reference}")
    colleague = staff_phone(app, "baraka", phone=OTHER_CASEWORKER_PHONE, areas=[MOMBASA])
    colleague.send(f"CALLED {reference}")
    assert "is assigned to another caseworker" in last(db, app, colleague)
    assert kinds(db, reference) == [*before, EventKind.ASSIGNED, EventKind.ACKNOWLEDGED]
    assert the_case(db, reference).first_contacted_at is None


def test_a_supervisor_may_record_the_first_contact_of_a_case_nobody_holds(app, db):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    supervisor = staff_phone(app, "daudi", "supervisor", SUPERVISOR_PHONE, areas=[MOMBASA])
    supervisor.send(f"CALLED {reference}")
    assert last(db, app, supervisor).startswith("Kinga: first contact on case")
    case = the_case(db, reference)
    assert case.first_contacted_at is not None and case.assigned_to_id is None


# --- CALLED with the reporter's answer on services -----------------------------------------


def consent_of(db, reference: str) -> tuple[bool | None, list[EventKind]]:
    """The case's consent to services, and its events from the first contact on."""
    case = the_case(db, reference)
    trail = [event.kind for event in case.events]
    start = trail.index(EventKind.FIRST_CONTACT_MADE) if case.first_contacted_at else len(trail)
    return case.consent_services, trail[start:]


@pytest.mark.parametrize("language", PROFILE.languages)
def test_called_records_the_reporters_answer_in_every_language(app, db, language):
    reference = open_report(app, 1, now=NOW - timedelta(minutes=5))
    shown = format_reference(reference)
    say = Words(app, language)
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA], languages=[language])
    voice = Voice(app.extensions["kinga"], language, NOW)

    def answer(text: str, minutes: int) -> str:
        text_at(app, CASEWORKER_PHONE, text, NOW + timedelta(minutes=minutes))
        return replies_to(db, app, CASEWORKER_PHONE)[-1]

    called, yes, no = say.verb("called"), say.consent("yes"), say.consent("no")
    answer(f"{say.verb('ack')} {reference}", 0)
    assert answer(f"{called} {reference} {yes}", 1) == say.reply(
        replies.CONTACT_CONSENT, reference=shown
    )
    contacted = the_case(db, reference).first_contacted_at
    assert contacted == NOW + timedelta(minutes=1)
    assert consent_of(db, reference) == (
        True,
        [EventKind.FIRST_CONTACT_MADE, EventKind.CONSENT_RECORDED],
    )
    time = voice.time(contacted)
    # The reporter changed their mind on a second call: the answer changes, the contact stays.
    assert answer(f"{called} {shown} {no.lower()}", 2) == say.reply(
        replies.REFUSAL_RECORDED, reference=shown, time=time
    )
    assert answer(f"{called} {reference} {no}", 3) == say.reply(
        replies.REFUSAL_ALREADY, reference=shown, time=time
    )
    # English words work from every staff phone.
    assert answer(f"{called} {reference} consent.", 4) == say.reply(
        replies.CONSENT_RECORDED, reference=shown, time=time
    )
    assert answer(f"{called} {reference} {yes}", 5) == say.reply(
        replies.CONSENT_ALREADY, reference=shown, time=time
    )
    assert answer(f"{called} {reference}", 6) == say.reply(
        replies.CONTACT_ALREADY, reference=shown, time=time
    )
    before = consent_of(db, reference)
    assert before == (
        True,
        [EventKind.FIRST_CONTACT_MADE, *[EventKind.CONSENT_RECORDED] * 3],
    )
    assert answer(f"{called} {reference} spoke to the mother", 7) == say.reply(
        replies.CONSENT_WORDS, reference=shown
    )
    assert answer(f"{called} {reference} {no} but may call back", 8) == say.reply(
        replies.CONSENT_WORDS, reference=shown
    )
    assert consent_of(db, reference) == before
    assert the_case(db, reference).first_contacted_at == contacted


def test_a_refusal_on_the_first_call_and_the_words_shown_in_english(app, db):
    reference = open_report(app, 1, now=NOW - timedelta(minutes=5))
    shown = format_reference(reference)
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA])
    text_at(app, CASEWORKER_PHONE, f"ACK {reference}", NOW)
    text_at(app, CASEWORKER_PHONE, f"CALLED {reference} hello", NOW)
    assert replies_to(db, app, CASEWORKER_PHONE)[-1] == (
        f"Kinga: send CALLED {shown} alone, or followed by CONSENT if the reporter agreed to "
        "services or NOCONSENT if they refused. Nothing changed."
    )
    assert the_case(db, reference).first_contacted_at is None
    text_at(app, CASEWORKER_PHONE, f"Called {shown}: no consent", NOW)
    assert replies_to(db, app, CASEWORKER_PHONE)[-1] == (
        f"Kinga: first contact on case {shown} recorded; the reporter refused services. "
        "Its first-contact clock is stopped."
    )
    assert consent_of(db, reference) == (
        False,
        [EventKind.FIRST_CONTACT_MADE, EventKind.CONSENT_RECORDED],
    )
    text_at(app, CASEWORKER_PHONE, f"CALLED {reference} AGREED", NOW + timedelta(hours=30))
    assert replies_to(db, app, CASEWORKER_PHONE)[-1] == (
        f"Kinga: the reporter's consent to services on case {shown} is recorded. "
        "First contact was recorded already (Mar 2 12:30)."
    )


def test_the_answer_is_refused_where_the_contact_is_and_changes_nothing(
    app, db, client, redis_client
):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    shown = format_reference(reference)
    mine = staff_phone(app, areas=[MOMBASA], on_call=True)
    colleague = staff_phone(app, "baraka", phone=OTHER_CASEWORKER_PHONE, areas=[MOMBASA])
    colleague.send(f"CALLED {reference} CONSENT")
    assert last(db, app, colleague) == (
        f"Kinga: case {shown} is not assigned to you. Reply ACK {shown} first. Nothing changed."
    )
    mine.send(f"ACK {reference}")
    colleague.send(f"CALLED {reference} CONSENT")
    assert "is assigned to another caseworker" in last(db, app, colleague)
    # A caseworker who may not act on the case is told so, not shown the consent words.
    colleague.send(f"CALLED {reference} whatever")
    assert "is assigned to another caseworker" in last(db, app, colleague)
    assert consent_of(db, reference) == (None, [])
    # A retried webhook records nothing twice.
    mine.send(f"CALLED {reference} CONSENT", provider_id="SM" + "7" * 32)
    before = snapshot(db, redis_client)
    mine.send(f"CALLED {reference} NOCONSENT", provider_id="SM" + "7" * 32)
    assert snapshot(db, redis_client) == before
    assert consent_of(db, reference)[0] is True
    mine.send(f"CLOSE {reference} RESOLVED")
    mine.send(f"CALLED {reference} NOCONSENT")
    assert last(db, app, mine) == f"Kinga: case {shown} is closed. Nothing changed."
    assert the_case(db, reference).consent_services is True


def test_level_raises_and_lowers_only_with_a_reason(app, db):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    shown = format_reference(reference)
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    phone.send(f"ACK {reference}")
    opened = the_case(db, reference)
    assert opened.risk_level is RiskLevel.LOW

    phone.send(f"LEVEL {reference} high")
    raised = the_case(db, reference)
    high = app.extensions["kinga"].triage.deadlines[RiskLevel.HIGH]
    assert raised.risk_level is RiskLevel.HIGH
    assert raised.first_contact_by == raised.created_at + high.first_contact_within
    assert re.fullmatch(
        rf"Kinga: case {shown} is now HIGH\. First contact by (\w+ \d+ )?\d\d:\d\d\.",
        last(db, app, phone),
    ), last(db, app, phone)

    before = kinds(db, reference)
    phone.send(f"LEVEL {reference} LOW")
    assert last(db, app, phone) == (
        f"Kinga: lowering case {shown} to LOW needs a reason: LEVEL {shown} LOW reason. "
        "Nothing changed."
    )
    phone.send(f"LEVEL {reference} HIGH")
    assert last(db, app, phone) == f"Kinga: case {shown} is already HIGH. Nothing changed."
    phone.send(f"LEVEL {reference} purple")
    assert last(db, app, phone) == (
        "Kinga: give one level of IMMEDIATE, HIGH, MEDIUM, LOW, e.g. "
        f"LEVEL {shown} HIGH. To lower it, add a reason. Nothing changed."
    )
    phone.send(f"LEVEL {reference}")
    assert last(db, app, phone).startswith("Kinga: give one level of")
    assert kinds(db, reference) == before and the_case(db, reference).notes == []

    phone.send(f"LEVEL {reference} medium  Spoke to the teacher; child safe at school")
    lowered = the_case(db, reference)
    assert lowered.risk_level is RiskLevel.MEDIUM
    assert last(db, app, phone).startswith(f"Kinga: case {shown} is now MEDIUM. First contact by")
    event = lowered.events[-1]
    assert event.kind is EventKind.LEVEL_CHANGED
    assert event.data["before"]["risk_level"] == "high"
    assert event.data["after"]["risk_level"] == "medium"
    # The reason may name people: kept as an encrypted note, the event points at it.
    note = lowered.notes[-1]
    assert event.data["after"]["reason_note_id"] == note.id
    vault = app.extensions["kinga"].vault
    assert vault.decrypt(note.body_encrypted) == "Spoke to the teacher; child safe at school"


def test_level_permission_refusals(app, db):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    before = kinds(db, reference)
    agent = staff_phone(app, "esther", "hotline_agent", "+254700111009", areas=[MOMBASA])
    agent.send(f"LEVEL {reference} HIGH")
    assert "is outside your role or areas" in last(db, app, agent)
    worker = staff_phone(app, areas=[MOMBASA])
    worker.send(f"LEVEL {reference} HIGH")
    assert "is not assigned to you" in last(db, app, worker)
    assert kinds(db, reference) == before
    supervisor = staff_phone(app, "daudi", "supervisor", SUPERVISOR_PHONE)
    supervisor.send(f"LEVEL {reference} IMMEDIATE")
    assert the_case(db, reference).risk_level is RiskLevel.IMMEDIATE


@pytest.mark.parametrize("language", PROFILE.languages)
def test_every_command_in_every_language(app, db, language):
    now = datetime.now(UTC) - timedelta(minutes=5)
    reference = open_report(app, 1, now=now)
    shown = format_reference(reference)
    say = Words(app, language)
    phone = staff_phone(app, areas=[MOMBASA], on_call=True, languages=[language])

    def answer(text: str) -> str:
        phone.send(text)
        return last(db, app, phone)

    verb, level, reason = say.verb, say.level, say.reason
    assert answer(f"{verb('ack')} {reference}") == say.reply(replies.ACKNOWLEDGED, reference=shown)
    assert answer(f"{verb('called')} {shown}") == say.reply(
        replies.CONTACT_RECORDED, reference=shown
    )
    assert answer(f"{verb('note')} {reference} Visited; child with aunt") == say.reply(
        replies.NOTED, reference=shown
    )
    assert answer(f"{verb('level')} {reference} {level('high')}") == say.reply(
        replies.LEVEL_CHANGED_CONTACTED, reference=shown, level=level("high")
    )
    assert answer(f"{verb('level')} {reference} {level('low')}") == say.reply(
        replies.LEVEL_REASON, reference=shown, level=level("low")
    )
    assert answer(f"{verb('level')} {reference} {level('low')} x") == say.reply(
        replies.LEVEL_CHANGED_CONTACTED, reference=shown, level=level("low")
    )
    levels = ", ".join(level(value.value) for value in RiskLevel)
    assert answer(f"{verb('level')} {reference} purple") == say.reply(
        replies.LEVEL_WORDS, reference=shown, levels=levels
    )
    listed = answer(verb("cases"))
    initial = say.translations.pgettext("level initial", "L")
    assert listed == say.reply(replies.CASES) + f"\n{shown} {initial}"
    assert answer(verb("help")) == say.reply(replies.HELP)
    assert answer(f"{verb('close')} {reference}") == say.reply(
        replies.REASONS,
        reference=shown,
        reasons=", ".join(reason(r) for r in say.staff.reasons["any"]),
    )
    assert answer(f"{verb('close')} {reference} {reason('resolved')}") == say.reply(
        replies.CLOSED, reference=shown, reason=reason("resolved")
    )
    assert the_case(db, reference).status is CaseStatus.CLOSED
    trail = kinds(db, reference)
    assert trail[trail.index(EventKind.ASSIGNED) :] == [
        EventKind.ASSIGNED,
        EventKind.ACKNOWLEDGED,
        EventKind.FIRST_CONTACT_MADE,
        EventKind.NOTE_ADDED,
        EventKind.LEVEL_CHANGED,
        EventKind.NOTE_ADDED,  # the reason to lower
        EventKind.LEVEL_CHANGED,
        EventKind.CLOSED,
    ]
    after_close = kinds(db, reference)

    # Errors, in the same language: each changes nothing.
    for typed in (verb("called"), verb("note"), verb("level"), verb("close"), verb("ack")):
        assert answer(f"{typed} {reference} x") == say.reply(
            replies.ALREADY_CLOSED, reference=shown
        )
    unknown = "482177302" if reference != "482177302" else "069875189"
    assert answer(f"{verb('ack')} {unknown}") == say.reply(
        replies.UNKNOWN, reference=format_reference(unknown)
    )
    ack = VERBS["ack"]
    assert isinstance(ack, CaseVerb)
    assert answer(verb("ack")) == say.reply(replies.USAGE, shape=say.reply(ack.shape))
    assert kinds(db, reference) == after_close

    other = open_report(app, 2, now=now)
    colleague = staff_phone(
        app, "baraka", phone=OTHER_CASEWORKER_PHONE, areas=[MOMBASA], languages=[language]
    )
    phone.send(f"{verb('ack')} {other}")
    colleague.send(f"{verb('note')} {other} mine")
    assert last(db, app, colleague) == say.reply(
        replies.ASSIGNED_ELSEWHERE, reference=format_reference(other)
    )
    elsewhere = staff_phone(
        app, "chebet", phone=NAIROBI_PHONE, areas=[NAIROBI], languages=[language]
    )
    elsewhere.send(f"{verb('ack')} {other}")
    assert last(db, app, elsewhere) == say.reply(
        replies.NOT_ALLOWED, reference=format_reference(other)
    )
    assert the_case(db, other).notes == []


def test_the_audit_trail_of_a_case_handled_by_sms(app, db):
    reference = open_report(app, 1, now=datetime.now(UTC) - timedelta(minutes=5))
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    for text in (
        f"ACK {reference}",
        f"CALLED {reference}",
        f"LEVEL {reference} HIGH",
        f"NOTE {reference} Home visit tomorrow",
        f"CLOSE {reference} REFERRED to the clinic",
    ):
        phone.send(text)
    with db() as session:
        user = find_user(session, "amina")
        assert user is not None
        events = session.scalars(
            select(CaseEvent)
            .join(Case, CaseEvent.case_id == Case.id)
            .where(Case.reference == reference, CaseEvent.actor_user_id == user.id)
            .order_by(CaseEvent.id)
        ).all()
        notes = session.scalars(select(Note).join(Case).where(Case.reference == reference)).all()
    assert [event.kind for event in events] == [
        EventKind.ASSIGNED,
        EventKind.ACKNOWLEDGED,
        EventKind.FIRST_CONTACT_MADE,
        EventKind.LEVEL_CHANGED,
        EventKind.NOTE_ADDED,
        EventKind.NOTE_ADDED,
        EventKind.CLOSED,
    ]
    assert events[-1].data["after"]["closure_reason"] == "referred"
    vault = app.extensions["kinga"].vault
    assert [vault.decrypt(note.body_encrypted) for note in notes] == [
        "Home visit tomorrow",
        "to the clinic",
    ]
    # Audit events carry no free text: the note's words are only in the encrypted note.
    assert all("clinic" not in str(event.data) for event in events)


def test_cases_lists_my_open_cases_most_urgent_first(app, db):
    rt = app.extensions["kinga"]
    user_id = add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA])
    opened = {
        "low": open_report(app, 1, now=NOW - timedelta(hours=1), category="other"),
        "immediate": open_report(app, 2, now=NOW - timedelta(minutes=10), danger="yes"),
        "medium_late": open_report(app, 3, now=NOW, category="physical_violence"),
        "medium_soon": open_report(
            app, 4, now=NOW - timedelta(hours=5), category="physical_violence"
        ),
        "high": open_report(app, 5, now=NOW - timedelta(hours=2), category="sexual_abuse"),
        "contacted": open_report(app, 6, now=NOW - timedelta(hours=3), category="sexual_abuse"),
    }
    open_report(app, 7, now=NOW, danger="yes")  # nobody's
    with rt.sessions.begin() as session:
        user = session.get(User, user_id)
        for reference in opened.values():
            case = find_case_by_reference(session, reference)
            claim(session, case, actor=user, now=NOW)
        contacted = find_case_by_reference(session, opened["contacted"])
        record_first_contact(session, contacted, actor=user, now=NOW)

    text_at(app, CASEWORKER_PHONE, "cases", NOW)
    shown = {name: format_reference(reference) for name, reference in opened.items()}
    # Due times in Nairobi: today as 13:20, another day as Mar 5 09:30.
    assert replies_to(db, app, CASEWORKER_PHONE)[-1] == "\n".join(
        [
            "Kinga: your open cases, most urgent first:",
            f"{shown['immediate']} I 13:20",
            f"{shown['high']} H Mar 3 10:30",
            f"{shown['contacted']} H",
            f"{shown['medium_soon']} M Mar 5 07:30",
            f"{shown['medium_late']} M Mar 5 12:30",
            f"{shown['low']} L Mar 9 11:30",
        ]
    )


def test_cases_says_how_many_more_did_not_fit(app, db):
    rt = app.extensions["kinga"]
    user_id = add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA])
    references = [
        open_report(app, n, now=NOW - timedelta(minutes=n), category="sexual_abuse")
        for n in range(1, 26)
    ]
    with rt.sessions.begin() as session:
        user = session.get(User, user_id)
        for reference in references:
            claim(session, find_case_by_reference(session, reference), actor=user, now=NOW)

    text_at(app, CASEWORKER_PHONE, "CASES", NOW)
    reply = replies_to(db, app, CASEWORKER_PHONE)[-1]
    lines = reply.splitlines()
    listed = len(lines) - 2
    assert lines[-1] == f"+{25 - listed} more"
    assert analyse(reply).segments <= replies.LIST_SEGMENTS
    # The soonest deadline first: the oldest report.
    assert lines[1].startswith(format_reference(references[-1]))
    assert listed > 5
    # One more line would not have fitted.
    longer = "\n".join([*lines[:-1], lines[1], f"+{25 - listed - 1} more"])
    assert analyse(longer).segments > replies.LIST_SEGMENTS


def test_cases_for_a_supervisor_and_for_nobody(app, db):
    open_report(app, 1, now=NOW - timedelta(minutes=5), danger="yes")
    add_staff(app, "daudi", "supervisor", SUPERVISOR_PHONE, areas=[MOMBASA])
    add_staff(app, "amina", "caseworker", CASEWORKER_PHONE, areas=[MOMBASA])
    text_at(app, SUPERVISOR_PHONE, "CASES", NOW)
    text_at(app, CASEWORKER_PHONE, "CASES", NOW)
    assert replies_to(db, app, SUPERVISOR_PHONE)[-1].splitlines()[1].endswith(" I 12:40")
    assert replies_to(db, app, CASEWORKER_PHONE) == ["Kinga: you have no open cases."]


def test_help_and_stop_from_a_staff_phone_and_help_from_a_reporter(app, db):
    phone = staff_phone(app, areas=[MOMBASA], languages=["sw"])
    phone.send("msaada")
    assert last(db, app, phone).startswith("Amri za Kinga: POKEA namba = pokea kesi.")
    phone.send("Help")
    assert last(db, app, phone).startswith("Amri za Kinga:")
    reporter = Texter(app.test_client(), phone="+254799000777")
    reporter.send("HELP")
    assert not replies_to(db, app, reporter.phone)[-1].startswith(("Kinga", "Amri"))
    # STOP from a staff phone is the opt-out it is for everyone.
    phone.send("STOP")
    assert (
        last(db, app, phone)
        == "You will not get more messages from us. Send START to get them again."
    )
    # A message that starts with a verb but is more than the verb is a conversation.
    other = staff_phone(app, "baraka", phone=OTHER_CASEWORKER_PHONE)
    other.send("Cases of neglect at the school near the market")
    assert not last(db, app, other).startswith("Kinga")
