"""Repeat reports are linked to the open case for a person to confirm: not merged, not silent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from case_store_factories import NOW, add_user, answers, build_report
from sqlalchemy.orm import Session

from case_store.crypto import Vault
from case_store.enums import CaseStatus, ClosureReason, EventKind, RepeatReason
from case_store.operations import (
    InvalidTransition,
    PermissionDenied,
    assign,
    close,
    confirm_repeat,
    open_case,
    unlink_repeat,
)
from case_store.triage import TriagePolicy

OTHER_PHONE = "+254722000999"


def _policy(window: str) -> TriagePolicy:
    """The default policy with the profile's ``repeat_window`` set to ``window``."""
    default = TriagePolicy.default()
    mapping = {
        "categories": {c.value: v.value for c, v in default.category_levels.items()},
        "deadlines": {
            lvl.value: {"assign_within": "1h", "first_contact_within": "2h"}
            for lvl in default.deadlines
        },
        "repeat_window": window,
    }
    return replace(default, repeat_window=TriagePolicy.from_mapping(mapping).repeat_window)


def test_the_same_reporter_within_the_window_is_linked(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    second = open_case(
        session,
        vault,
        build_report(answers=answers(category="online_abuse", area="001")),
        now=NOW + timedelta(days=2),
    )
    assert second.id != first.id and second.status is CaseStatus.OPEN  # not merged
    assert second.repeat_of is first and second.repeat_reason is RepeatReason.SAME_REPORTER
    assert second.repeat_confirmed is None  # waiting for a person
    opened = second.events[0]
    assert opened.kind is EventKind.CASE_OPENED
    assert opened.data["after"]["repeat_of"] == first.reference


def test_the_same_child_details_from_another_phone_are_linked(
    session: Session, vault: Vault
) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    second = open_case(
        session, vault, build_report(phone=OTHER_PHONE), now=NOW + timedelta(hours=5)
    )
    assert second.repeat_of is first
    assert second.repeat_reason is RepeatReason.SAME_CHILD


@pytest.mark.parametrize("change", [{"age_band": "12_14"}, {"sex": "boy"}])
def test_the_same_area_and_category_alone_is_not_a_repeat(
    session: Session, vault: Vault, change: dict[str, str]
) -> None:
    """A county and a category describe many children: linking on them alone chained every
    neglect report of a county into one."""
    open_case(session, vault, build_report(), now=NOW)
    other = open_case(
        session,
        vault,
        build_report(phone=OTHER_PHONE, answers=answers(**change)),
        now=NOW + timedelta(hours=1),
    )
    assert other.repeat_of is None and other.repeat_reason is None


def test_links_point_at_the_first_report_not_along_a_chain(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    phones = ("+254722000111", "+254722000222", "+254722000333")
    later = [
        open_case(session, vault, build_report(phone=phone), now=NOW + timedelta(hours=n))
        for n, phone in enumerate(phones, start=1)
    ]
    assert [case.repeat_of for case in later] == [first, first, first]


def test_a_rejected_link_is_not_followed(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    second = open_case(
        session, vault, build_report(phone=OTHER_PHONE), now=NOW + timedelta(hours=1)
    )
    confirm_repeat(
        session, second, False, actor=add_user(session, "supervisor"), now=NOW + timedelta(hours=2)
    )
    third = open_case(
        session, vault, build_report(phone="+254722000444"), now=NOW + timedelta(hours=3)
    )
    # The second case was judged another child: the newest matching case is its own root.
    assert third.repeat_of is second and first.id != second.id


def test_unlink_undoes_a_link_and_is_audited(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    second = open_case(
        session, vault, build_report(phone=OTHER_PHONE), now=NOW + timedelta(hours=1)
    )
    event = unlink_repeat(session, second, now=NOW + timedelta(hours=2), actor_label="admin_cli")
    assert second.repeat_of is None and second.repeat_reason is None
    assert second.repeat_confirmed is None
    assert event.kind is EventKind.REPEAT_UNLINKED and event.actor == "admin_cli"
    assert event.data["before"] == {"repeat_of": first.reference, "repeat_reason": "same_child"}
    assert event.data["after"] == {"repeat_of": None, "repeat_reason": None}
    with pytest.raises(InvalidTransition, match="not linked"):
        unlink_repeat(session, second, now=NOW + timedelta(hours=3))


def test_a_caseworker_unlinks_only_with_the_permission(session: Session, vault: Vault) -> None:
    open_case(session, vault, build_report(), now=NOW)
    second = open_case(
        session, vault, build_report(phone=OTHER_PHONE), now=NOW + timedelta(hours=1)
    )
    outsider = add_user(session, "caseworker", areas=["001"])
    with pytest.raises(PermissionDenied):
        unlink_repeat(session, second, now=NOW + timedelta(hours=2), actor=outsider)
    assert second.repeat_of is not None


@pytest.mark.parametrize(
    ("change", "window"),
    [
        ({"delay": timedelta(days=8)}, "7d"),  # outside the window
        ({"delay": timedelta(hours=1)}, "0d"),  # detection off
        ({"category": "sexual_abuse"}, "7d"),
        ({"area": "001"}, "7d"),
        ({"closed": True}, "7d"),  # only open cases are candidates
    ],
)
def test_not_a_repeat(
    session: Session, vault: Vault, change: dict[str, object], window: str
) -> None:
    policy = _policy(window)
    first = open_case(session, vault, build_report(), now=NOW, policy=policy)
    if change.get("closed"):
        close(
            session, first, ClosureReason.RESOLVED, actor=add_user(session, "supervisor"), now=NOW
        )
    new_answers = answers(
        category=str(change.get("category", "neglect")), area=str(change.get("area", "047"))
    )
    delay = change.get("delay", timedelta(hours=1))
    assert isinstance(delay, timedelta)
    second = open_case(
        session,
        vault,
        build_report(phone=OTHER_PHONE, answers=new_answers),
        now=NOW + delay,
        policy=policy,
    )
    assert second.repeat_of is None and second.repeat_reason is None


def test_a_person_confirms_and_the_repeat_is_merged(session: Session, vault: Vault) -> None:
    first = open_case(session, vault, build_report(), now=NOW)
    second = open_case(session, vault, build_report(), now=NOW + timedelta(hours=1))
    supervisor = add_user(session, "supervisor")
    event = confirm_repeat(session, second, True, actor=supervisor, now=NOW + timedelta(hours=2))
    assert event.kind is EventKind.REPEAT_CONFIRMED
    assert second.repeat_confirmed is True and second.merged_into is first
    assert second.status is CaseStatus.CLOSED and first.status is CaseStatus.OPEN
    with pytest.raises(InvalidTransition, match="no repeat link"):
        confirm_repeat(session, second, True, actor=supervisor, now=NOW + timedelta(hours=3))


def test_a_caseworker_may_reject_the_link_but_not_merge(session: Session, vault: Vault) -> None:
    open_case(session, vault, build_report(), now=NOW)
    second = open_case(session, vault, build_report(), now=NOW + timedelta(hours=1))
    supervisor, caseworker = add_user(session, "supervisor"), add_user(session, "caseworker")
    assign(session, second, caseworker, actor=supervisor, now=NOW + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        confirm_repeat(session, second, True, actor=caseworker, now=NOW + timedelta(hours=2))
    assert second.repeat_confirmed is None and second.status is CaseStatus.OPEN
    event = confirm_repeat(session, second, False, actor=caseworker, now=NOW + timedelta(hours=2))
    assert event.kind is EventKind.REPEAT_REJECTED
    assert second.repeat_confirmed is False and second.merged_into is None
