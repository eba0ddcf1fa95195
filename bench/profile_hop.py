"""Where a USSD hop spends its time, in process: whole report walks (``ussd.REPORT``) through
the WSGI app, timed in CPU time, then profiled by pyinstrument; and what each hop asks of
Redis and the database.

A profile is far less sensitive to the neighbours' load than a throughput: it says which part
of a hop grows, whatever the machine. The HTML flame view and a text tree are written under
``bench/results/``.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from typing import Any

from serving import RESULTS, ROOT
from ussd import HOPS_PER_REPORT, REPORT, path

sys.path.insert(0, str(ROOT / "tests"))

from round_trips import RedisRoundTrips, Transactions
from werkzeug.test import EnvironBuilder


def _environs(key: str, reports: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:6]
    environs = []
    for n in range(reports):
        for hop in range(HOPS_PER_REPORT):
            form = {
                "sessionId": f"bench-profile-{run}-{n}",
                "serviceCode": "*384*116#",
                "phoneNumber": f"+2547{(int(run, 16) * 1000 + n) % 10**8:08d}",
                "networkCode": "63902",
                "text": "*".join(REPORT[:hop]),
            }
            builder = EnvironBuilder(path=path(key), method="POST", data=form)
            environs.append(builder.get_environ())
    return environs


def _call(app: Any, environ: dict[str, Any]) -> str:
    status: list[str] = []
    body = b"".join(app(dict(environ), lambda s, _h, _e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"hop answered {status[0]}: {body[:80]!r}")
    return body.decode()


def profile(app: Any, reports: int, label: str) -> dict[str, Any]:
    """Round trips and transactions over a few walks, then ``reports`` walks profiled."""
    from pyinstrument import Profiler

    rt = app.extensions["kinga"]
    key = rt.settings.at_webhook_key
    redis_trips = RedisRoundTrips(rt.redis)
    transactions = Transactions(rt.engine)

    for environ in _environs(key, 3):  # warm: first connections, caches
        _call(app, environ)
    trips_by_hop: list[list[int]] = [[] for _ in range(HOPS_PER_REPORT)]
    per_report: list[tuple[int, int]] = []
    redis_trips.take()
    transactions.take()
    for n, environ in enumerate(_environs(key, 10)):
        _call(app, environ)
        trips_by_hop[n % HOPS_PER_REPORT].append(redis_trips.take())
        if n % HOPS_PER_REPORT == HOPS_PER_REPORT - 1:
            per_report.append(transactions.take())

    # CPU time of this thread per hop (what the neighbours' load hardly changes): the menu
    # hops, and the hop that writes the report.
    menus: list[float] = []
    writes: list[float] = []
    for n, environ in enumerate(_environs(key, reports)):
        started_cpu = time.thread_time()
        _call(app, environ)
        spent = (time.thread_time() - started_cpu) * 1000
        (writes if n % HOPS_PER_REPORT == HOPS_PER_REPORT - 1 else menus).append(spent)

    environs = _environs(key, reports)
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for environ in environs:
        _call(app, environ)
    profiler.stop()
    elapsed = time.perf_counter() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    html = RESULTS / f"profile-ussd-{label}.html"
    text = RESULTS / f"profile-ussd-{label}.txt"
    html.write_text(profiler.output_html())
    text.write_text(profiler.output_text(unicode=True, color=False))
    trips = [count for hop in trips_by_hop for count in hop]
    return {
        "hops": len(environs),
        "cpu_ms_per_menu_hop": statistics.median(menus),
        "cpu_ms_per_report_hop": statistics.median(writes),
        "cpu_ms_per_report": statistics.median(menus) * (HOPS_PER_REPORT - 1)
        + statistics.median(writes),
        "ms_per_hop_profiled": elapsed / len(environs) * 1000,
        "redis_round_trips_max": max(trips),
        "redis_round_trips_mean": statistics.fmean(trips),
        "redis_round_trips_by_hop": [max(hop) for hop in trips_by_hop],
        "transactions_per_report": max(begun for begun, _ in per_report),
        "write_transactions_per_report": max(writes for _, writes in per_report),
        "profile_html": str(html.relative_to(ROOT)),
        "profile_text": str(text.relative_to(ROOT)),
    }
