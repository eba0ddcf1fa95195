"""Named operations: the only code that writes. Every change to a case appends a case event.

Operations take the caller's session and never commit; the request or job that calls them
owns the transaction and commits once. One module per kind of actor or record: ``reports``
(what a report or a caller triggers), ``staff`` (what staff do, permission-checked), ``calls``
(what a call an agent logged closes), ``referrals``, ``deadlines``, ``alerts`` and
``follow_ups`` (what the clock triggers: the last also marks the follow-ups that acknowledging,
referring and closing owe); ``roster`` changes staff accounts, ``accounts`` records their use
in the console and ``services`` changes the service providers (each audited in its own trail);
``audit`` holds the event trails they all append to.
``messages`` (the message log), ``outbox`` (jobs to run after a commit) and ``reporters`` (a
reporter's language) write no case and so append no case event.
"""

from case_store.operations.accounts import (
    record_job_retry,
    record_refusal,
    set_console_language,
    set_password,
    sign_in,
    sign_out,
    unlock,
)
from case_store.operations.alerts import hold_alert, release_alert
from case_store.operations.audit import case_snapshot
from case_store.operations.calls import close_callback_request
from case_store.operations.deadlines import (
    next_deadline_check,
    recheck_deadlines,
    take_deadline_check,
    take_step,
)
from case_store.operations.errors import (
    InvalidNote,
    InvalidTransition,
    NoConsent,
    ReferenceExhausted,
)
from case_store.operations.missed_calls import (
    close_missed_calls,
    record_missed_call,
    record_missed_call_shown,
)
from case_store.operations.referrals import (
    answer_referral,
    mark_unanswered,
    new_referral_code,
    refer,
    remind_referral,
)
from case_store.operations.reports import (
    add_reporter_information,
    open_case,
    record_contact,
    request_callback,
)
from case_store.operations.roster import (
    create_user,
    deactivate_user,
    set_on_call,
    update_user,
)
from case_store.operations.services import (
    DuplicateProvider,
    InvalidProvider,
    create_provider,
    deactivate_provider,
    reactivate_provider,
    update_provider,
)
from case_store.operations.staff import (
    acknowledge,
    add_note,
    assign,
    change_risk_level,
    change_status,
    claim,
    close,
    confirm_repeat,
    merge_duplicate,
    record_consent,
    record_first_contact,
    record_reveal,
    reopen,
    unlink_repeat,
)
from case_store.permissions import PermissionDenied
from case_store.report_contract import InvalidReport, Report

__all__ = [
    "DuplicateProvider",
    "InvalidNote",
    "InvalidProvider",
    "InvalidReport",
    "InvalidTransition",
    "NoConsent",
    "PermissionDenied",
    "ReferenceExhausted",
    "Report",
    "acknowledge",
    "add_note",
    "add_reporter_information",
    "answer_referral",
    "assign",
    "case_snapshot",
    "change_risk_level",
    "change_status",
    "claim",
    "close",
    "close_callback_request",
    "close_missed_calls",
    "confirm_repeat",
    "create_provider",
    "create_user",
    "deactivate_provider",
    "deactivate_user",
    "hold_alert",
    "mark_unanswered",
    "merge_duplicate",
    "new_referral_code",
    "next_deadline_check",
    "open_case",
    "reactivate_provider",
    "recheck_deadlines",
    "record_consent",
    "record_contact",
    "record_first_contact",
    "record_job_retry",
    "record_missed_call",
    "record_missed_call_shown",
    "record_refusal",
    "record_reveal",
    "refer",
    "release_alert",
    "remind_referral",
    "reopen",
    "request_callback",
    "set_console_language",
    "set_on_call",
    "set_password",
    "sign_in",
    "sign_out",
    "take_deadline_check",
    "take_step",
    "unlink_repeat",
    "unlock",
    "update_provider",
    "update_user",
]
