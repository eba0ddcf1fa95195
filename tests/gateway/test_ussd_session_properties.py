"""Odd USSD session sequences: never a 5xx, never a second case, an ended session stays ended.

Africa's Talking sends the whole input so far in ``text``. Here it may also be repeated (a
retry), cut short, replaced by text that does not extend it, sent again after the session
ended, or sent for the session by another phone. Whatever the order: every answer is a 200
``CON``/``END``; a session that ended, or a session asked for by a phone that did not open it,
changes nothing and answers a polite ``END`` (its own last ``END`` again for a retry); and a
case exists for exactly the sessions that were told "Thank you. Your reference is …".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from stored import clear, snapshot
from ussd_client import PHONE, Caller

from case_store.models import Case, Contact

OTHER_PHONE = "+254722000111"
ENDED = "END This session has ended. Please dial again."
THANKS = "END Thank you. Your reference is"

# Mostly "1": it walks the report to its end (yes, continue, the first of everything, "1" as
# the place and the narrative, a call-back in the morning, send).
KEYS = st.sampled_from(["1"] * 6 + ["2", "0", "98", "Kibera", "*", ""])
HOPS = st.lists(
    st.tuples(
        st.sampled_from(["ATUid_a", "ATUid_b", "ATUid_c"]),
        st.sampled_from(["extend"] * 6 + ["retry", "shrink", "replace", "restart"]),
        st.sampled_from([PHONE] * 4 + [OTHER_PHONE]),
        st.lists(KEYS, min_size=1, max_size=3),
    ),
    max_size=40,
)


@dataclass
class Session:
    owner: str
    text: str = ""
    ended: str | None = None  # its END answer, once it has one
    thanked: bool = False
    replies: list[str] = field(default_factory=list)


def next_text(session: Session | None, how: str, keys: list[str]) -> str:
    previous = "" if session is None else session.text
    if how == "retry":
        return previous
    if how == "shrink":
        return previous.rpartition("*")[0]
    if how == "replace":
        return "*".join(keys)
    if how == "restart":
        return ""
    return "*".join([previous, *keys]) if previous else "*".join(keys)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hops=HOPS)
def test_odd_session_sequences(client: Any, db: Any, redis_client: Any, hops: list[Any]) -> None:
    clear(db, redis_client)
    sessions: dict[str, Session] = {}
    for session_id, how, phone, keys in hops:
        known = sessions.get(session_id)
        text = next_text(known, how, keys)
        before = snapshot(db, redis_client)
        response = Caller(client, session_id=session_id, phone=phone).post(text)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, body
        assert body.startswith(("CON ", "END ")), body
        if known is None:
            known = sessions[session_id] = Session(owner=phone)
        elif phone != known.owner:
            assert body == ENDED
            assert snapshot(db, redis_client) == before, "another phone changed the session"
            continue
        elif known.ended is not None:
            assert body == (known.ended if text == known.text else ENDED)
            assert snapshot(db, redis_client) == before, "an ended session changed"
            continue
        known.text = text
        known.replies.append(body)
        if body.startswith("END "):
            known.ended = body
            known.thanked = body.startswith(THANKS)

    with db() as session:
        with_case = {
            contact.external_id
            for contact in session.scalars(select(Contact).where(Contact.case_id.is_not(None)))
        }
        cases = len(session.scalars(select(Case)).all())
    assert with_case == {sid for sid, known in sessions.items() if known.thanked}
    assert cases == len(with_case), "one case per session, at most"
