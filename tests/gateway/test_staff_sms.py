"""Staff answer alerts by SMS from their work phone: ACK, NOTE, CLOSE, through the named
operations and their permission checks; the same words from any other phone are a reporter's."""

from __future__ import annotations

import pytest
from sms_client import Texter, outbound, texts
from sqlalchemy import select
from staff import (
    CASEWORKER_PHONE,
    MOMBASA,
    NAIROBI,
    NAIROBI_PHONE,
    OTHER_CASEWORKER_PHONE,
    SUPERVISOR_PHONE,
    add_staff,
)
from ussd_client import Caller

from case_store.enums import CaseStatus, ClosureReason, Direction, EventKind, MessagePurpose
from case_store.models import Case, CaseEvent, Message, Note
from case_store.references import format_reference
from dialogs.tree import default_tree_path, load_tree
from gateway.channels.sms.staff.parsing import parse_staff_command as parse
from gateway.channels.sms.staff.verbs import ALONE

KEYWORDS = load_tree(default_tree_path()).sms.staff
LANGUAGES = ("en", "sw", "fr", "ar", "pt")

# The report came in with nobody on call, so its alert waits (``test_pending_alerts``).
OPENED = ["case_opened", "alert_pending"]


@pytest.fixture
def case(app, client, db) -> Case:
    Caller(client).report()
    with db() as session:
        return session.scalars(select(Case)).one()


def staff_phone(app, name="amina", role="caseworker", phone=CASEWORKER_PHONE, **fields):
    add_staff(app, name, role, phone, **fields)
    return Texter(app.test_client(), phone=phone)


def last_reply(app, db) -> str:
    replies = [m for m in outbound(db) if m.purpose is MessagePurpose.REPLY]
    return texts(app, replies)[-1]


def reload(db, case: Case) -> Case:
    with db() as session:
        found = session.get(Case, case.id)
        assert found is not None
        _ = list(found.events), list(found.notes)
        return found


def parse_staff_command(text: str, pin: bool = False):
    return parse(text, KEYWORDS, LANGUAGES, alone=ALONE, pin=pin)


def events(db, case: Case) -> list[str]:
    with db() as session:
        return list(
            session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        )


def test_parse_staff_commands():
    assert parse_staff_command("ack 482-177-302").reference == "482177302"
    assert parse_staff_command("ACK 482 177 302").reference == "482177302"
    note = parse_staff_command("NOTE 482177302 Spoke to the teacher.\nVisit tomorrow")
    assert (note.verb, note.reference, note.rest) == (
        "note",
        "482177302",
        "Spoke to the teacher.\nVisit tomorrow",
    )
    assert parse_staff_command("Close 482177302 resolved").rest == "resolved"
    assert parse_staff_command("ACK").reference is None
    assert parse_staff_command("ACKNOWLEDGE 482177302") is None
    assert parse_staff_command("REPORT") is None


@pytest.mark.parametrize(
    "text",
    [
        "ACK 069-875-189.",
        "ack 069875189",
        "  Ack   069 875 189 !",
        "ACK: 069.875.189",
        "ACK069875189",
        "ACK 069 - 875 - 189",
    ],
)
def test_parse_forgives_case_spaces_and_punctuation(text):
    command = parse_staff_command(text)
    assert command is not None
    assert (command.verb, command.reference, command.rest) == ("ack", "069875189", "")


def test_parse_keeps_the_note_and_the_reason_without_stray_punctuation():
    note = parse_staff_command("note 069-875-189. Child seen, safe.")
    assert (note.reference, note.rest) == ("069875189", "Child seen, safe.")
    close = parse_staff_command("CLOSE 069875189, resolved.")
    assert (close.reference, close.rest) == ("069875189", "resolved.")
    assert parse_staff_command("ACK 0698751891").reference is None  # ten digits: not a reference
    assert parse_staff_command("ACKNOWLEDGED 069875189") is None


def test_ack_from_the_on_call_caseworker_claims_and_acknowledges(app, db, case):
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    assert phone.send(f"ACK {case.reference}").status_code == 200
    after = reload(db, case)
    assert after.assigned_to_id is not None and after.acknowledged_at is not None
    assert events(db, case) == [*OPENED, "assigned", "acknowledged"]
    reply = last_reply(app, db)
    assert (
        reply
        == f"Kinga: case {format_reference(case.reference)} acknowledged. First contact is yours."
    )
    # A second ACK (sent again by a worried caseworker) changes nothing.
    phone.send(f"ACK {format_reference(case.reference)}")
    assert events(db, case) == [*OPENED, "assigned", "acknowledged"]


def test_a_command_is_filed_under_its_case_in_the_message_log(app, db, case):
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    phone.send(f"ACK {case.reference}")
    phone.send("ACK 482177302")  # an unknown reference: filed under no case
    with db() as session:
        inbound = session.scalars(
            select(Message).where(Message.direction == Direction.INBOUND).order_by(Message.id)
        ).all()
    assert [message.case_id for message in inbound[-2:]] == [case.id, None]


def test_a_replayed_webhook_runs_the_command_once(app, db, case):
    phone = staff_phone(app, on_call=True)
    phone.send(f"NOTE {case.reference} Called the school", provider_id="SM" + "7" * 32)
    phone.send(f"NOTE {case.reference} Called the school", provider_id="SM" + "7" * 32)
    with db() as session:
        assert len(session.scalars(select(Note).where(Note.case_id == case.id)).all()) == 0
    phone.send(f"ACK {case.reference}", provider_id="SM" + "8" * 32)
    phone.send(f"ACK {case.reference}", provider_id="SM" + "8" * 32)
    phone.send(f"NOTE {case.reference} Called the school", provider_id="SM" + "9" * 32)
    phone.send(f"NOTE {case.reference} Called the school", provider_id="SM" + "9" * 32)
    with db() as session:
        notes = session.scalars(select(Note).where(Note.case_id == case.id)).all()
    assert len(notes) == 1
    assert app.extensions["kinga"].vault.decrypt(notes[0].body_encrypted) == "Called the school"
    assert events(db, case).count("note_added") == 1
    replies = [m for m in outbound(db) if m.purpose is MessagePurpose.REPLY]
    assert len(replies) == 3  # one per distinct inbound message, none for the replays


def test_note_and_close_by_the_assignee(app, db, case):
    phone = staff_phone(app, on_call=True)
    phone.send(f"ACK {case.reference}")
    phone.send(f"NOTE {case.reference} Visited; child safe with aunt")
    assert last_reply(app, db) == f"Kinga: note added to case {format_reference(case.reference)}."
    phone.send(f"close {format_reference(case.reference)}, Resolved. Family supported")
    after = reload(db, case)
    assert after.status is CaseStatus.CLOSED and after.closure_reason is ClosureReason.RESOLVED
    assert len(after.notes) == 2
    assert (
        last_reply(app, db) == f"Kinga: case {format_reference(case.reference)} closed (RESOLVED)."
    )
    phone.send(f"NOTE {case.reference} late")
    assert "is closed. Nothing changed." in last_reply(app, db)


def test_close_with_an_unknown_reason_lists_the_allowed_ones(app, db, case):
    phone = staff_phone(app, on_call=True)
    phone.send(f"ACK {case.reference}")
    phone.send(f"CLOSE {case.reference} finished")
    reply = last_reply(app, db)
    assert "one of: RESOLVED, REFERRED, TRANSFERRED, NO_CONCERN" in reply
    assert "duplicate" not in reply.lower()
    assert reload(db, case).status is CaseStatus.OPEN


def test_unknown_and_malformed_references(app, db, case):
    phone = staff_phone(app, on_call=True)
    wrong = case.reference[:-1] + str((int(case.reference[-1]) + 1) % 10)  # check digit fails
    phone.send(f"ACK {wrong}")
    assert last_reply(app, db).startswith(f"Kinga: unknown reference {format_reference(wrong)}")
    phone.send("ACK")
    assert last_reply(app, db) == (
        "Kinga: the case reference is missing or wrong. Send: ACK 482177302"
    )
    assert events(db, case) == OPENED


def test_refusals_change_nothing(app, db, case):
    owner = staff_phone(app, on_call=True)
    owner.send(f"ACK {case.reference}")
    before = events(db, case)

    other = staff_phone(app, "baraka", phone=OTHER_CASEWORKER_PHONE)
    for text in (
        f"ACK {case.reference}",
        f"NOTE {case.reference} mine",
        f"CLOSE {case.reference} resolved",
    ):
        other.send(text)
        assert last_reply(app, db).startswith(
            f"Not allowed: case {format_reference(case.reference)} is assigned to another"
        )
    elsewhere = staff_phone(app, "chebet", phone=NAIROBI_PHONE, areas=[NAIROBI])
    elsewhere.send(f"NOTE {case.reference} not my area")
    assert "outside your role or areas" in last_reply(app, db)
    agent = staff_phone(app, "esther", "hotline_agent", "+254700111009")
    agent.send(f"CLOSE {case.reference} resolved")
    assert "outside your role or areas" in last_reply(app, db)

    after = reload(db, case)
    assert events(db, case) == before
    assert after.status is CaseStatus.OPEN and not after.notes


def test_a_caseworker_outside_the_area_cannot_claim(app, db, case):
    phone = staff_phone(app, "chebet", phone=NAIROBI_PHONE, areas=[NAIROBI], on_call=True)
    phone.send(f"ACK {case.reference}")
    assert "outside your role or areas" in last_reply(app, db)
    assert reload(db, case).assigned_to_id is None


def test_a_supervisor_acknowledges_a_case_held_by_a_caseworker(app, db, case):
    staff_phone(app, on_call=True).send(f"ACK {case.reference}")
    supervisor = staff_phone(app, "daudi", "supervisor", SUPERVISOR_PHONE)
    supervisor.send(f"NOTE {case.reference} Checked in with the team")
    assert last_reply(app, db).startswith("Kinga: note added")


def test_the_same_words_from_a_reporters_phone_are_a_conversation(app, db, case):
    staff_phone(app, on_call=True)
    reporter = Texter(app.test_client(), phone="+254799000777")
    reporter.send(f"ACK {case.reference}")
    after = reload(db, case)
    assert after.assigned_to_id is None and events(db, case) == OPENED
    assert not last_reply(app, db).startswith(("Kinga:", "Not allowed"))


def test_other_texts_from_a_staff_phone_are_a_conversation(app, db, case):
    phone = staff_phone(app, on_call=True)
    phone.send("REPORT")
    assert not last_reply(app, db).startswith(("Kinga", "Not allowed"))
    phone.send("Cases of neglect at the school")
    assert not last_reply(app, db).startswith(("Kinga", "Not allowed"))


def test_replies_are_in_the_staff_language(app, db, case):
    phone = staff_phone(app, on_call=True, languages=["fr"])
    phone.send(f"ACK {case.reference}")
    assert last_reply(app, db).startswith(
        f"Kinga : dossier {format_reference(case.reference)} pris"
    )
    assert EventKind.ACKNOWLEDGED in events(db, case)


def test_a_deactivated_users_commands_are_refused_at_once(app, db, case, runner):
    phone = staff_phone(app, areas=[MOMBASA], on_call=True)
    result = runner.invoke(args=["users", "deactivate", "amina"])
    assert result.exit_code == 0, result.output
    for command in (
        f"ACK {case.reference}",
        f"NOTE {case.reference} seen",
        f"CLOSE {case.reference} resolved",
    ):
        assert phone.send(command).status_code == 200
        assert (
            last_reply(app, db) == "Kinga: this phone can no longer act on cases. Nothing changed."
        )
    after = reload(db, case)
    assert after.assigned_to_id is None and after.status is CaseStatus.OPEN and after.notes == []
    assert events(db, case) == OPENED
