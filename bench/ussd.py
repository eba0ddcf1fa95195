"""The USSD rows of ``make bench``: the hop under load, complete reports per second, and the
99th percentile at half the saturation rate, each beside the references of the same run.

The load is ``ussd.lua`` under wrk: every connection walks whole Africa's Talking sessions,
``REPORT`` below, hop by hop with the cumulative ``text``, then starts a new session from a
new number. Before any load the walk is run once through the app in process and must end
with a case reference: a changed dialog tree that no longer takes this walk to a report
stops the bench with a message, instead of measuring something else.
"""

from __future__ import annotations

import re
import uuid

from serving import BENCH, BenchError

# Main menu → report → not in danger → "98 More" (the second page of categories) → missing
# child → 5-11 → a girl → the "K" group of areas → Kakamega → a place typed → neighbour → a
# narrative typed → call-back yes → evening → no SMS updates → send: 16 hops with pagination
# and free text.
REPORT = [
    "1", "2", "98", "1", "2", "1", "6", "2", "Kibera", "3", "She is alone at night", "1", "3",
    "2", "1",
]  # fmt: skip
HOPS_PER_REPORT = len(REPORT) + 1
# The same walk left at its summary: every hop of a report but the one that writes it.
MENUS = REPORT[:-1]
SCRIPT = BENCH / "ussd.lua"
REFERENCE = re.compile(r"\d{3}-\d{3}-\d{3}")


def path(key: str) -> str:
    return f"/ussd/africastalking?key={key}"


def check_walk(app: object) -> list[str]:
    """The walk's screens through ``app`` (a Flask app), which must end with a reference."""
    client = app.test_client()  # type: ignore[attr-defined]
    key = app.extensions["kinga"].settings.at_webhook_key  # type: ignore[attr-defined]
    session = f"bench-check-{uuid.uuid4().hex[:8]}"
    screens = []
    for hop in range(HOPS_PER_REPORT):
        form = {
            "sessionId": session,
            "serviceCode": "*384*116#",
            "phoneNumber": "+254799000001",
            "text": "*".join(REPORT[:hop]),
        }
        answer = client.post(path(key), data=form)
        screens.append(answer.get_data(as_text=True))
        last = hop == HOPS_PER_REPORT - 1
        expected = "END " if last else "CON "
        if answer.status_code != 200 or not screens[-1].startswith(expected):
            raise BenchError(
                f"the bench's report walk (bench/ussd.py REPORT) no longer fits the dialog tree: "
                f"hop {hop} ({form['text']!r}) answered {answer.status_code} "
                f"{screens[-1][:80]!r}; update REPORT"
            )
    if not REFERENCE.search(screens[-1]):
        raise BenchError(f"the bench's report walk ended without a reference: {screens[-1]!r}")
    return screens


def lua_env(run: int, check: bool, answers: list[str] = REPORT) -> dict[str, str]:
    return {
        "BENCH_ANSWERS": "\t".join(answers),
        "BENCH_RUN": str(run),
        "BENCH_CHECK": "1" if check else "0",
        "BENCH_ENDS": "1" if answers == REPORT else "0",
    }
