"""The personal data the reliability and security tests send, made distinctive so that the
leak check that runs after them (``tests/security/test_leaks.py``) can look for it in every
log, database, Redis file and artefact, and find it nowhere in plain text."""

from __future__ import annotations

# Reporters' numbers: a replayed report, two phones racing, the hostile reports.
REPLAY_PHONE = "+254712900001"
RACE_PHONES = ("+254712900011", "+254712900012")
HOSTILE_PHONE = "+254712900021"
# Callers filing reports while Redis goes down and comes back.
OUTAGE_PHONES = tuple(f"+2547129003{n:02d}" for n in range(30))
# Callers filing reports while PostgreSQL stops and starts again.
DB_OUTAGE_PHONES = tuple(f"+2547129005{n:02d}" for n in range(30))
# Phones dialling new sessions by the hundred while another caller files a report.
FLOOD_PHONES = tuple(f"+2547129006{n:02d}" for n in range(20))
# Callers filing reports while the web process is SIGKILLed and started again.
KILL_PHONES = tuple(f"+2547129004{n:02d}" for n in range(8))
# In every place, narrative and note the tests write (never otherwise in the code or data).
MARK = "Qx7Zkw"
PLACE = f"Kibera {MARK} place"
NARRATIVE = f"{MARK} she is alone at night"

PHONES = (
    REPLAY_PHONE,
    *RACE_PHONES,
    HOSTILE_PHONE,
    *OUTAGE_PHONES,
    *DB_OUTAGE_PHONES,
    *FLOOD_PHONES,
    *KILL_PHONES,
)
# What must appear nowhere: each number with and without its "+", its local form, the mark.
NEEDLES = (
    *PHONES,
    *(phone[1:] for phone in PHONES),
    *("0" + phone[4:] for phone in PHONES),
    MARK,
)


def with_probe(answers: list[str]) -> list[str]:
    """A report's answers (``ussd_client`` or ``sms_client``) with the probe's place and
    narrative."""
    changed = {"Kibera": PLACE, "She is alone at night": NARRATIVE}
    return [changed.get(answer, answer) for answer in answers]
