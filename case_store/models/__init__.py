"""All models, imported here so ``Base.metadata`` knows every table."""

from case_store.models.api_tokens import ApiToken
from case_store.models.cases import Case
from case_store.models.contacts import Contact
from case_store.models.deadlines import DeadlineStep
from case_store.models.events import AuditError, CaseEvent, RosterEvent, ServiceProviderEvent
from case_store.models.maintenance import MaintenanceRun
from case_store.models.messages import InboundReceipt, Message, MessageEvent
from case_store.models.missed_calls import MissedCall
from case_store.models.notes import Note
from case_store.models.outbox import OutboxRow
from case_store.models.primero import PrimeroControl
from case_store.models.reporters import Reporter
from case_store.models.services import Referral, ServiceProvider
from case_store.models.users import OnCallWindow, User

__all__ = [
    "ApiToken",
    "AuditError",
    "Case",
    "CaseEvent",
    "Contact",
    "DeadlineStep",
    "InboundReceipt",
    "MaintenanceRun",
    "Message",
    "MessageEvent",
    "MissedCall",
    "Note",
    "OnCallWindow",
    "OutboxRow",
    "PrimeroControl",
    "Referral",
    "Reporter",
    "RosterEvent",
    "ServiceProvider",
    "ServiceProviderEvent",
    "User",
]
