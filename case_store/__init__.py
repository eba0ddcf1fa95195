"""The case store: every report, case, message and staff account, and the only code that
touches the database (SQLAlchemy, Alembic).

Where things go, so that a module's place says its role:
- ``models/``: the tables, one module per group of tables; no behaviour beyond the columns.
- ``operations/``: every write, as a named operation that takes the caller's session and never
  commits; a change to a case appends its audit event there.
- ``queries/``: every read, one module per thing read; nothing there writes.
- top level: pure policy and the pieces everything shares, none of which writes: the report
  contract (``report_contract``), triage, references, categories, on-call rules, permissions,
  retention periods, crypto and masking, plus the engine and migrations (``db``, ``migrate``,
  ``migrations/``).

Imports point one way: the case store imports SQLAlchemy and nothing of the gateway, the
dialogs or the workers (``tests/test_layers.py``).
"""
