"""The message log: inbound idempotency, outbound attempts, receipts in any order, opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_store_factories import NOW, PHONE, row_counts
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import Direction, MessageEventKind, MessagePurpose, MessageStatus
from case_store.models import Message
from case_store.operations.messages import (
    InvalidMessage,
    apply_status,
    claim_send,
    queue_outbound,
    record_attempt,
    record_inbound,
    set_opt_out,
)
from case_store.operations.outbox import add_outbox, mark_dispatched
from case_store.queries.messages import is_opted_out, list_messages, unsent_messages

S = MessageStatus


def _inbound(session: Session, vault: Vault, provider_id: str = "ATXid_1") -> tuple[Message, bool]:
    return record_inbound(
        session,
        vault,
        provider="africastalking",
        provider_id=provider_id,
        phone=PHONE,
        body="REPORT my neighbour's child",
        received_at=NOW,
    )


def _outbound(session: Session, vault: Vault) -> Message:
    return queue_outbound(
        session,
        vault,
        phone=PHONE,
        body="Your reference 482-177-302 was updated.",
        purpose="follow_up",
        encoding="GSM-7",
        segments=1,
        now=NOW,
    )


def test_inbound_is_logged_encrypted_with_a_receipt(session: Session, vault: Vault) -> None:
    message, created = _inbound(session, vault)
    assert created
    assert message.direction is Direction.INBOUND and message.status is S.RECEIVED
    assert len(message.public_id) == 36
    assert message.phone_hash == vault.phone_hash(PHONE)
    assert PHONE.encode() not in (message.phone_encrypted or b"")
    assert vault.decrypt(message.body_encrypted or b"") == "REPORT my neighbour's child"
    assert [e.status for e in message.timeline] == ["received"]
    assert row_counts(session)["inbound_receipt"] == 1


def test_a_replayed_inbound_webhook_returns_the_same_message_and_writes_nothing(
    session: Session, vault: Vault
) -> None:
    first, _ = _inbound(session, vault)
    session.commit()
    before = row_counts(session)
    again, created = _inbound(session, vault)
    assert not created
    assert again.id == first.id
    assert row_counts(session) == before
    other, created = _inbound(session, vault, provider_id="ATXid_2")
    assert created and other.id != first.id


def test_outbound_attempts_and_failover_are_all_in_the_timeline(
    session: Session, vault: Vault
) -> None:
    message = _outbound(session, vault)
    assert message.status is S.QUEUED and message.provider is None
    assert message.purpose is MessagePurpose.FOLLOW_UP
    record_attempt(session, message, provider="twilio", error="21211", now=NOW)
    assert message.status is S.QUEUED and message.provider is None
    record_attempt(session, message, provider="africastalking", provider_id="ATXid_9", now=NOW)
    assert message.attempts == 2
    assert message.last_error == "21211"
    assert (message.provider, message.provider_id) == ("africastalking", "ATXid_9")
    attempts = [e for e in message.timeline if e.kind is MessageEventKind.ATTEMPT]
    assert [(e.provider, e.error) for e in attempts] == [
        ("twilio", "21211"),
        ("africastalking", None),
    ]


def test_one_claim_per_state_of_the_message_released_by_the_attempt(
    session: Session, vault: Vault
) -> None:
    message = _outbound(session, vault)
    public_id = message.public_id
    assert claim_send(session, public_id, provider="twilio", attempts=0, now=NOW)
    assert not claim_send(session, public_id, provider="twilio", attempts=0, now=NOW)  # taken
    session.refresh(message)
    assert (message.claimed_provider, message.claimed_at) == ("twilio", NOW)

    record_attempt(session, message, provider="twilio", error="permanent: refused", now=NOW)
    assert (message.claimed_provider, message.claimed_at) == (None, None)
    # A run that read the message before that attempt may not repeat it.
    assert not claim_send(session, public_id, provider="twilio", attempts=0, now=NOW)
    assert claim_send(session, public_id, provider="africastalking", attempts=1, now=NOW)
    session.refresh(message)
    record_attempt(session, message, provider="africastalking", provider_id="ATXid_9", now=NOW)
    # Accepted: nothing may claim it again.
    assert not claim_send(session, public_id, provider="twilio", attempts=2, now=NOW)
    inbound, _ = _inbound(session, vault)
    assert not claim_send(session, inbound.public_id, provider="twilio", attempts=0, now=NOW)


def test_unsent_messages_are_the_old_queued_ones_with_a_dispatched_send_job(
    session: Session, vault: Vault
) -> None:
    def queued(*, dispatched: bool = True, age: timedelta = timedelta(minutes=5)) -> Message:
        message = queue_outbound(
            session,
            vault,
            phone=PHONE,
            body="ok",
            purpose="reply",
            encoding="GSM-7",
            segments=1,
            now=NOW - age,
        )
        row = add_outbox(session, "workers.sms.send_job.send_message", public_id=message.public_id)
        message.outbox = row
        session.flush()
        if dispatched:
            mark_dispatched(session, [row.id], now=NOW - age)
        return message

    oldest = queued(age=timedelta(hours=1))
    claimed = queued()
    assert claim_send(session, claimed.public_id, provider="twilio", attempts=0, now=NOW)
    claimed_long_ago = queued()
    assert claim_send(
        session, claimed_long_ago.public_id, provider="twilio", attempts=0, now=NOW - timedelta(2)
    )
    sent = queued()
    record_attempt(session, sent, provider="twilio", provider_id="SM1", now=NOW)
    queued(age=timedelta(seconds=10))  # too young
    queued(dispatched=False)  # the outbox sweep's
    _outbound(session, vault)  # no send job recorded

    found = unsent_messages(session, queued_before=NOW - timedelta(minutes=1))
    assert [m.public_id for m, _row in found] == [oldest.public_id, claimed_long_ago.public_id]
    assert [row.id for _m, row in found] == [oldest.outbox_id, claimed_long_ago.outbox_id]
    assert len(unsent_messages(session, queued_before=NOW, limit=1)) == 1


@pytest.mark.parametrize(
    ("order", "final"),
    [
        (["sent", "delivered"], S.DELIVERED),
        (["delivered", "sent"], S.DELIVERED),  # a late "sent" never overwrites "delivered"
        (["sending", "queued"], S.SENDING),
        (["failed", "sent"], S.FAILED),
        (["undelivered", "failed"], S.UNDELIVERED),  # equal ranks keep the first final state
        (["sent", "teleported"], S.SENT),
        (["sent", "unknown"], S.SENT),
    ],
)
def test_receipts_only_move_a_message_forward(
    session: Session, vault: Vault, order: list[str], final: MessageStatus
) -> None:
    message = _outbound(session, vault)
    record_attempt(session, message, provider="africastalking", provider_id="ATXid_7", now=NOW)
    for minutes, status in enumerate(order, start=1):
        found = apply_status(
            session,
            provider="africastalking",
            provider_id="ATXid_7",
            status=status,
            at=NOW + timedelta(minutes=minutes),
        )
        assert found is message
    assert message.status is final
    statuses = [e.status for e in message.timeline if e.kind is MessageEventKind.STATUS]
    assert statuses == ["queued", *order]  # every receipt is kept, even unknown words


def test_status_by_our_id_cost_and_error_code(session: Session, vault: Vault) -> None:
    message = _outbound(session, vault)
    found = apply_status(
        session,
        provider="twilio",
        provider_id="SM123",
        public_id=message.public_id,
        status="undelivered",
        error_code="30003",
        cost="USD 0.0075",
        at=NOW,
    )
    assert found is message
    assert message.status is S.UNDELIVERED
    assert (message.provider, message.provider_id) == ("twilio", "SM123")
    assert message.cost == "USD 0.0075" and message.last_error == "30003"


def test_a_receipt_for_no_known_message_is_none(session: Session) -> None:
    assert (
        apply_status(session, provider="twilio", provider_id="SMnone", status="sent", at=NOW)
        is None
    )
    assert apply_status(session, provider="twilio", public_id="nope", status="sent", at=NOW) is None


def test_bad_outbound_fields_are_refused(session: Session, vault: Vault) -> None:
    with pytest.raises(InvalidMessage, match="encoding"):
        queue_outbound(
            session,
            vault,
            phone=PHONE,
            body="x",
            purpose="reply",
            encoding="ASCII",
            segments=1,
            now=NOW,
        )
    with pytest.raises(InvalidMessage, match="purpose"):
        queue_outbound(
            session,
            vault,
            phone=PHONE,
            body="x",
            purpose="gossip",
            encoding="GSM-7",
            segments=1,
            now=NOW,
        )
    assert row_counts(session)["message"] == 0


def test_list_messages_newest_first_with_filters(session: Session, vault: Vault) -> None:
    inbound, _ = _inbound(session, vault)
    outbound = _outbound(session, vault)
    outbound.created_at = NOW + timedelta(hours=1)
    session.flush()
    assert [m.id for m in list_messages(session)] == [outbound.id, inbound.id]
    assert [m.id for m in list_messages(session, direction="inbound")] == [inbound.id]
    assert [m.id for m in list_messages(session, since=NOW + timedelta(minutes=1))] == [outbound.id]
    assert len(list_messages(session, limit=1)) == 1


def test_opt_out_creates_the_reporter_and_can_be_cleared(session: Session, vault: Vault) -> None:
    assert not is_opted_out(session, vault, PHONE)
    reporter = set_opt_out(session, vault, PHONE, True, now=NOW)
    assert reporter.phone_encrypted is None  # opting out stores no number
    assert is_opted_out(session, vault, PHONE)
    assert not is_opted_out(session, vault, "+254700000001")
    set_opt_out(session, vault, PHONE, False, now=NOW)
    assert not is_opted_out(session, vault, PHONE)
    assert row_counts(session)["reporter"] == 1
