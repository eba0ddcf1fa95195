"""The roster: staff accounts changed by named, audited operations, and who is on call when
(weekly windows in the deployment's local time, or the on-call flag)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from case_store_factories import NOW, add_user, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import RosterEventKind
from case_store.models import RosterEvent, User
from case_store.on_call import (
    InvalidWindow,
    Slot,
    describe_window,
    is_on_call,
    next_on_call,
    parse_window,
    uncovered,
)
from case_store.operations import create_user, deactivate_user, set_on_call, update_user
from case_store.operations.roster import DuplicateUser, InvalidUser
from case_store.queries.cases import on_call_users
from case_store.queries.users import find_staff_by_phone

NAIROBI = ZoneInfo("Africa/Nairobi")
PHONE = "+254712000111"
NEW_PHONE = "+254712000222"
MONDAY_9 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Nairobi
ACTOR = "admin_cli"


def events(session: Session, user: User) -> list[RosterEvent]:
    query = select(RosterEvent).where(RosterEvent.user_id == user.id).order_by(RosterEvent.id)
    return list(session.scalars(query))


def test_windows_are_written_as_days_and_hours():
    assert parse_window("Mon-Fri 08:00-17:00") == [Slot(d, time(8), time(17)) for d in range(5)]
    assert parse_window("sat,SUN 22:00-06:00") == [
        Slot(5, time(22), time(6)),
        Slot(6, time(22), time(6)),
    ]
    assert parse_window("Fri-Mon 00:00-24:00") == [Slot(d, time(0), time(0)) for d in (0, 4, 5, 6)]
    assert parse_window(" Wed  9:30-12:00 ") == [Slot(2, time(9, 30), time(12))]
    assert describe_window(Slot(0, time(22), time(6))) == "Mon 22:00-06:00"
    assert describe_window(Slot(6, time(0), time(0))) == "Sun 00:00-24:00"
    for bad in ("", "Mon", "Monday 08:00-17:00", "Mon-Fri 8-17", "Mon 25:00-26:00", "Mon 08:00"):
        with pytest.raises(InvalidWindow, match="Mon-Fri 08:00-17:00"):
            parse_window(bad)


def test_update_changes_what_is_given_and_audits_it_without_the_phone(
    session: Session, vault: Vault
):
    user = create_user(
        session, vault, username="amina", role="caseworker", phone=PHONE, now=NOW, actor=ACTOR
    )
    event = update_user(
        session,
        vault,
        user,
        now=NOW,
        actor=ACTOR,
        phone=NEW_PHONE,
        areas=["047", "001"],
        languages=["sw", "en"],
        role="supervisor",
    )
    assert event is not None and event.kind is RosterEventKind.UPDATED
    assert (user.role.value, user.areas, user.languages) == (
        "supervisor",
        ["001", "047"],
        ["sw", "en"],
    )
    assert vault.decrypt(user.phone_encrypted or b"") == NEW_PHONE
    assert find_staff_by_phone(session, vault, NEW_PHONE) is user
    assert find_staff_by_phone(session, vault, PHONE) is None
    assert event.data["before"]["role"] == "caseworker"
    assert event.data["after"]["areas"] == ["001", "047"] and event.data["after"]["phone_changed"]
    trail = repr([e.data for e in events(session, user)])
    assert "712000" not in trail and user.phone_hash not in trail
    assert [e.kind for e in events(session, user)] == ["created", "updated"]
    assert events(session, user)[0].actor == ACTOR
    assert update_user(session, vault, user, now=NOW, actor=ACTOR, areas=["001", "047"]) is None


def test_bad_updates_are_refused_and_write_nothing(session: Session, vault: Vault):
    user = create_user(session, vault, username="amina", role="caseworker", phone=PHONE, now=NOW)
    create_user(session, vault, username="baraka", role="caseworker", phone=NEW_PHONE, now=NOW)
    before = row_counts(session)
    with pytest.raises(DuplicateUser, match="another user"):
        update_user(session, vault, user, now=NOW, actor=ACTOR, phone=NEW_PHONE)
    with pytest.raises(InvalidUser, match="role"):
        update_user(session, vault, user, now=NOW, actor=ACTOR, role="boss", areas=["001"])
    assert row_counts(session) == before
    assert (user.role.value, user.areas) == ("caseworker", [])


def test_deactivation_is_at_once_audited_and_final(session: Session, vault: Vault):
    user = create_user(
        session, vault, username="amina", role="caseworker", phone=PHONE, now=NOW, on_call=True
    )
    assert [u.id for u in on_call_users(session, at=NOW, time_zone=NAIROBI)] == [user.id]
    event = deactivate_user(session, user, now=NOW, actor=ACTOR)
    assert event.kind is RosterEventKind.DEACTIVATED and event.actor == ACTOR
    assert event.data["after"]["active"] is False and event.data["before"]["active"] is True
    assert (user.active, user.on_call) == (False, False)
    assert on_call_users(session, at=NOW, time_zone=NAIROBI) == []
    found = find_staff_by_phone(session, vault, PHONE)
    assert found is user and not found.active  # recognised, so that its commands are refused
    with pytest.raises(InvalidUser, match="already deactivated"):
        deactivate_user(session, user, now=NOW, actor=ACTOR)
    with pytest.raises(InvalidUser, match="deactivated"):
        set_on_call(session, user, now=NOW, actor=ACTOR, on_call=True)


def test_on_call_flag_and_windows_are_audited(session: Session):
    user = add_user(session, "caseworker")
    event = set_on_call(
        session, user, now=NOW, actor=ACTOR, windows=parse_window("Mon-Fri 08:00-17:00")
    )
    assert event is not None and event.kind is RosterEventKind.ON_CALL_CHANGED
    assert event.data["after"]["windows"] == [
        f"{d} 08:00-17:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
    ]
    assert event.data["before"]["windows"] == []
    assert is_on_call(user, MONDAY_9, NAIROBI)
    assert not is_on_call(user, MONDAY_9 + timedelta(hours=9), NAIROBI)  # 18:00
    set_on_call(session, user, now=NOW, actor=ACTOR, on_call=True)
    assert is_on_call(user, MONDAY_9 + timedelta(hours=9), NAIROBI)
    assert set_on_call(session, user, now=NOW, actor=ACTOR, on_call=True) is None
    set_on_call(session, user, now=NOW, actor=ACTOR, on_call=False, windows=[])
    assert user.on_call_windows == [] and not is_on_call(user, MONDAY_9, NAIROBI)
    assert len(events(session, user)) == 3


def test_next_on_call_is_the_next_window_start_in_local_time(session: Session):
    user = add_user(session, "caseworker")
    set_on_call(session, user, now=NOW, actor=ACTOR, windows=parse_window("Tue,Thu 22:00-06:00"))
    assert next_on_call(user, after=MONDAY_9, time_zone=NAIROBI) == datetime(
        2026, 3, 3, 22, 0, tzinfo=NAIROBI
    )
    inside = datetime(2026, 3, 4, 5, 0, tzinfo=NAIROBI)  # Wednesday 05:00, still on call
    assert is_on_call(user, inside, NAIROBI)
    assert next_on_call(user, after=inside, time_zone=NAIROBI) is None
    assert next_on_call(add_user(session, "caseworker"), after=NOW, time_zone=NAIROBI) is None


def test_gaps_in_the_next_day_per_area(session: Session):
    days = add_user(session, "caseworker", areas=["047"])
    nights = add_user(session, "supervisor")
    add_user(session, "caseworker", areas=["047"], on_call=True, active=False)
    add_user(session, "hotline_agent", on_call=True)
    set_on_call(session, days, now=NOW, actor=ACTOR, windows=parse_window("Mon-Fri 08:00-17:00"))
    set_on_call(session, nights, now=NOW, actor=ACTOR, windows=parse_window("Mon 20:00-06:00"))
    users = list(session.scalars(select(User)))
    local = MONDAY_9.astimezone(NAIROBI)

    def at(hour: int, day: int = 2) -> datetime:
        return datetime(2026, 3, day, hour, 0, tzinfo=NAIROBI)

    end = local + timedelta(hours=24)
    assert uncovered(users, "047", start=local, end=end, time_zone=NAIROBI) == [
        (at(17), at(20)),
        (at(6, 3), at(8, 3)),
    ]
    assert uncovered(users, "001", start=local, end=end, time_zone=NAIROBI) == [
        (local, at(20)),
        (at(6, 3), end),
    ]


@pytest.mark.parametrize("change", ["deactivate", "new_phone"])
def test_alerts_waiting_for_a_lost_phone_are_withdrawn(session: Session, vault: Vault, change):
    """A lost phone: alerts queued to it but not yet sent never go out; a reply to another
    number, and an alert a send job already has in hand, are left alone."""
    from case_store.enums import MessagePurpose, MessageStatus
    from case_store.operations.messages import claim_send, queue_outbound

    user = create_user(session, vault, username="amina", role="caseworker", phone=PHONE, now=NOW)

    def queued(phone: str, purpose: MessagePurpose):
        return queue_outbound(
            session,
            vault,
            phone=phone,
            body="Kinga: new case",
            purpose=purpose,
            encoding="GSM-7",
            segments=1,
            now=NOW,
        )

    waiting = [queued(PHONE, MessagePurpose.ALERT), queued(PHONE, MessagePurpose.REMINDER)]
    in_hand = queued(PHONE, MessagePurpose.ALERT)
    assert claim_send(session, in_hand.public_id, provider="log", attempts=0, now=NOW)
    other = queued("+254722000999", MessagePurpose.ALERT)
    if change == "deactivate":
        event = deactivate_user(session, user, now=NOW, actor=ACTOR)
    else:
        event = update_user(session, vault, user, now=NOW, actor=ACTOR, phone="+254733000111")
    session.flush()
    for message in waiting:
        session.refresh(message)
        assert message.status is MessageStatus.FAILED
        assert message.last_error == "recipient's phone withdrawn from the roster"
    session.refresh(in_hand)
    session.refresh(other)
    assert in_hand.status is other.status is MessageStatus.QUEUED
    assert event is not None and event.data["after"]["alerts_withdrawn"] == 2
