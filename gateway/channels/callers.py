"""What Kinga does for a caller on any channel (USSD or SMS) with an existing report.

The follow-ups behind a dialog's effects (``gateway.channels.effects``) and the caller's
language: the neutral status of a reference (with one miss budget per phone across channels),
information added to a report, and a call-back request. Each takes the intake's open session
and never commits.

A phone that spent its miss budget is guessing references: while it is limited, every status
is "not found" and the follow-ups on that path (add information, ask for a call back) change
nothing, whatever reference they name. The caller sees the same screens either way, so the
limit tells a guesser nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from case_store.models import Case
from case_store.operations import add_reporter_information, request_callback
from case_store.queries.cases import find_case_by_reference, reporter_status
from case_store.queries.reporters import reporter_language
from gateway.channels.miss_budget import MissBudget
from gateway.runtime import Runtime

log = logging.getLogger("kinga.callers")

MAX_REFERENCE_MISSES = 5
REFERENCE_MISS_WINDOW = 3600  # seconds
REFERENCE_MISSES = MissBudget("kinga:refmiss", MAX_REFERENCE_MISSES, REFERENCE_MISS_WINDOW)


def caller_language(rt: Runtime, db: Session, phone: str) -> str:
    """A forced language (``kinga simulate --lang``), else the reporter's saved choice, else
    the profile's default for the phone's country."""
    if rt.forced_language is not None:
        return rt.forced_language.language
    saved = reporter_language(db, rt.vault, phone)
    if saved in rt.profile.languages:
        return saved
    return rt.profile.language_for(phone)


def lookup_status(rt: Runtime, db: Session, phone: str, reference: str) -> str:
    """The neutral status of a report: received, in_progress, closed or not_found.

    The dialogs already refused mistyped references (check digit), so a miss here is a valid
    reference that does not exist: guessing. After ``MAX_REFERENCE_MISSES`` misses from one
    phone in the window, on any channel, every answer is "not found" until the window passes.
    """
    if REFERENCE_MISSES.spent(rt, phone):
        log.warning("reference lookups rate limited for a caller")
        return "not_found"
    case = find_case_by_reference(db, reference)
    if case is not None:
        return reporter_status(case)
    REFERENCE_MISSES.miss(rt, phone)
    return "not_found"


def follow_up_case(rt: Runtime, db: Session, phone: str, reference: str) -> Case | None:
    """The case a follow-up from ``phone`` is about: None for an unknown reference, and for
    every reference while the phone is rate limited."""
    if REFERENCE_MISSES.spent(rt, phone):
        return None
    return find_case_by_reference(db, reference)


def add_information(
    rt: Runtime, db: Session, phone: str, reference: str, text: str, *, now: datetime
) -> Case | None:
    """Add the caller's text to the report; None (and nothing written) if there is no case
    to follow up (see ``follow_up_case``)."""
    case = follow_up_case(rt, db, phone, reference)
    if case is not None:
        add_reporter_information(db, rt.vault, case, text, now=now)
    return case


def ask_callback(
    rt: Runtime, db: Session, phone: str, reference: str, when: str, *, now: datetime
) -> Case | None:
    """Record that the caller asks to be called back; None (and nothing written) if there is
    no case to follow up (see ``follow_up_case``)."""
    case = follow_up_case(rt, db, phone, reference)
    if case is not None:
        request_callback(db, rt.vault, case, phone, when, now=now)
    return case
