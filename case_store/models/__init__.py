"""All models, imported here so ``Base.metadata`` knows every table."""

from case_store.models.cases import Case
from case_store.models.contacts import Contact
from case_store.models.events import AuditError, CaseEvent
from case_store.models.reporters import Reporter

__all__ = ["AuditError", "Case", "CaseEvent", "Contact", "Reporter"]
