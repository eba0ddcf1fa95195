"""Kinga's Prometheus counters and histograms, defined once, for the web app and the jobs alike
(the gateway may import workers, not the other way round).

Every label is a bounded set: an endpoint (a URL rule, never a URL), a provider, a channel, a
dialog's question id, a risk level, an alert's kind and outcome, a message status. Never a
phone number, a reference, a session id or anything a caller typed.

Under gunicorn and ``kinga worker`` each process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (``gateway.metrics``), which ``/metrics`` adds up. prometheus-client
chooses files or memory when it is first imported, so the commands set that variable before
they start the processes that import this module.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Webhook answers: providers give up after a few seconds (Africa's Talking's USSD at about 5).
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Alert kinds and outcomes.
NEW_CASE, REMINDER, ESCALATION, FALLBACK = "new_case", "reminder", "escalation", "fallback"
SENT, PENDING, NOBODY = "sent", "pending", "nobody"

WEBHOOK_SECONDS = Histogram(
    "kinga_webhook_seconds",
    "Time to answer a provider's webhook.",
    ["endpoint", "provider"],
    buckets=WEBHOOK_BUCKETS,
)
DIALOG_COMPLETIONS = Counter(
    "kinga_dialog_completions", "Dialogs that ended in a report.", ["channel"]
)
DIALOG_DROPOFFS = Counter(
    "kinga_dialog_dropoffs",
    "Dialogs left before their end (hung up, timed out, or chose to leave), by the question "
    "they were on.",
    ["channel", "question"],
)
REPORTS = Counter("kinga_reports", "New cases, by the level triage gave them.", ["level"])
ALERTS = Counter(
    "kinga_alerts",
    "Staff alerts: sent, kept pending (nobody on call), or reaching nobody.",
    ["kind", "outcome"],
)
MESSAGES = Counter(
    "kinga_messages", "SMS status changes, by provider and status reached.", ["provider", "status"]
)
MISSED_CALLS = Counter(
    "kinga_missed_calls", "Missed calls that became a call-back request.", ["provider"]
)
