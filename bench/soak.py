"""``make soak``: Kinga served for a while (10 minutes by default) at half its measured USSD
saturation rate, with SMS, API and console traffic beside it and a real ``kinga worker``
sending through the ``log`` provider. It passes when no request failed, the memory of the web
workers and of the RQ worker grew by at most ``RSS_GROWTH_BOUND`` after the warm-up, and the
queues and the outbox drained once the load stopped.

    .venv/bin/python bench/soak.py [--minutes 10] [--connections 8] [--workers 3]

Storage (``storage.py``, as ``make bench``): a temporary SQLite database, or with
``KINGA_DATABASE_URL`` set to PostgreSQL a database ``kinga_soak`` created afresh (dropped first)
on that server; the embedded Redis, or ``KINGA_REDIS_URL``, emptied first. The load is wrk only
(``ussd.lua`` and ``requests.lua``); the summary is printed and written to
``bench/results/soak-<time>.json`` and ``soak-latest.md``. Exit status 1 when it failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sms  # noqa: E402
import ussd  # noqa: E402
from rq import Queue  # noqa: E402
from rq.registry import FailedJobRegistry, StartedJobRegistry  # noqa: E402
from serving import (  # noqa: E402
    BENCH,
    RESULTS,
    START_SECONDS,
    BenchError,
    Cores,
    Gunicorn,
    Load,
    Wrk,
    ensure_tool,
)
from sqlalchemy import func, select  # noqa: E402
from storage import Storage, commit, describe_database, fresh_postgres, storage  # noqa: E402

from case_store.models import OutboxRow  # noqa: E402
from case_store.operations import create_user  # noqa: E402
from case_store.operations.accounts import set_password  # noqa: E402
from case_store.operations.api_tokens import create_token  # noqa: E402
from gateway.config.redis import redis_from_url  # noqa: E402
from gateway.config.settings import Settings  # noqa: E402
from workers.dispatch import SWEEP_AGE  # noqa: E402
from workers.queues import QUEUE_NAMES  # noqa: E402

# Web workers and the RQ worker may grow by this much from the end of the warm-up to the end
# of the load: caches (catalogs, keyword tables, SQLAlchemy's statement cache, the allocator's
# arenas) fill during the warm-up; a leak of even a few hundred bytes per request grows
# without bound, by far more than 15 % over minutes at this rate.
RSS_GROWTH_BOUND = 0.15
WARM_UP = 0.2  # of the duration, at least 20 s
SATURATION_SECONDS = 10
SAMPLE_SECONDS = 5
DRAIN_SECONDS = SWEEP_AGE * 3 + 30  # rows from the last minute of load, then a sweep or two
# The other streams' rates as fractions of the USSD hop rate (whole requests per second).
FRACTIONS = {"sms": 0.015, "api": 0.05, "console": 0.02}
USERNAME = "soak-supervisor"
PASSWORD = "soak-Passphrase-4821"  # noqa: S105 - the soak's own throwaway database
ACTOR = "soak"  # the audit's name for what the soak sets up
REQUESTS_SCRIPT = BENCH / "requests.lua"
# kinga worker --count: the SMS stream asks for about 10 sends a second (two replies to each
# new message); one worker sends about 8 a second alone on a shared 2-CPU machine, 3 beside
# the load.
WORKERS = 3
PG_DATABASE = "kinga_soak"  # created afresh on KINGA_DATABASE_URL's server when it is PostgreSQL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for USSD")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="RQ workers (kinga worker --count)"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    try:
        results = soak(args)
    except BenchError as error:
        raise SystemExit(f"make soak: {error}") from None
    table = markdown(results)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "")
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "soak-latest.md").write_text(table)
    if not results["passed"]:
        raise SystemExit("make soak: failed (see the table)")


def soak(args: argparse.Namespace) -> dict[str, Any]:
    cores = Cores.split()
    wrk_path = ensure_tool("wrk", "wrk")
    seconds = args.minutes * 60
    tmp = Path(tempfile.mkdtemp(prefix="kinga-soak-"))
    logs = RESULTS / "soak-logs"  # the last run's only
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    database_url = fresh_postgres(PG_DATABASE)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "minutes": args.minutes,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "cores": cores.describe(),
        "database": describe_database(database_url or "sqlite://"),
        "rss_growth_bound": RSS_GROWTH_BOUND,
        "fractions_of_ussd_rate": FRACTIONS,
    }
    extra_env = {"KINGA_SMS_PROVIDERS": "log", **sms.settings_env()}
    try:
        with storage(tmp, cores, database_url=database_url, extra_env=extra_env) as stored:
            results["redis"] = stored.redis
            _soak(args, cores, wrk_path, seconds, tmp, logs, stored, results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["passed"] = (
        all(stream["failed"] == 0 for stream in results["streams"].values())
        and all(row["within_bound"] for row in results["memory"].values())
        and results["drain"]["drained"]
        and results["failed_jobs"] == 0
        and results["worker_alive"]
    )
    return results


def _soak(
    args: argparse.Namespace,
    cores: Cores,
    wrk_path: str,
    seconds: float,
    tmp: Path,
    logs: Path,
    stored: Storage,
    results: dict[str, Any],
) -> None:
    env, settings = stored.env, stored.settings
    server = Gunicorn("Kinga", "gateway:create_app()", env, cores, logs / "kinga.log")
    worker: subprocess.Popen[bytes] | None = None
    try:
        redis = redis_from_url(stored.redis_url)
        reference, token = _prepare(settings)
        server.start()
        # The RQ workers are not pinned: on a 2-CPU machine the one server CPU is taken by
        # gunicorn at half its saturation, and the sends the SMS stream asks for (two replies
        # per new message, 60 to 70 ms of CPU each in a forked work horse) need most of a CPU.
        with (logs / "worker.log").open("ab") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "gateway", "worker", "--count", str(args.workers)],
                env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        workers_at_start = _wait_for_workers(worker, args.workers)
        cookie = _sign_in(server.url)
        key = settings.at_webhook_key
        run = int(time.time()) % 100_000 * 10
        print(f"USSD saturation, {SATURATION_SECONDS} s ({cores.describe()}) ...", flush=True)
        ussd_wrk = Wrk(wrk_path, cores, args.connections)
        url = server.url + ussd.path(key)
        saturated = ussd_wrk.run(url, ussd.SCRIPT, SATURATION_SECONDS, ussd.lua_env(run, True))
        half = saturated.rate / 2
        results["saturation"] = saturated.as_dict()
        rates = {"ussd": half, **{name: max(1.0, half * f) for name, f in FRACTIONS.items()}}
        results["rates_asked"] = {name: round(rate, 1) for name, rate in rates.items()}
        files = _request_files(tmp, key, reference, token, cookie, rates, seconds)
        small = Wrk(wrk_path, cores, 1)
        streams = {
            "ussd": lambda: ussd_wrk.run(
                url, ussd.SCRIPT, seconds, ussd.lua_env(run + 1, True), rates["ussd"]
            ),
            **{
                name: _requests(small, server.url, file, seconds, rates[name])
                for name, file in files.items()
            },
        }
        print(f"soak: {args.minutes:g} min, rates {results['rates_asked']} ...", flush=True)
        samples: list[dict[str, Any]] = []
        stop = threading.Event()
        with ThreadPoolExecutor(len(streams)) as pool:
            futures = {name: pool.submit(load) for name, load in streams.items()}
            started = time.monotonic()
            while not all(f.done() for f in futures.values()):
                samples.append(_sample(time.monotonic() - started, server, worker.pid))
                stop.wait(SAMPLE_SECONDS)
            loads = {name: future.result() for name, future in futures.items()}
        results["streams"] = {name: _stream(load) for name, load in loads.items()}
        results["memory"] = _memory(samples, max(20.0, seconds * WARM_UP))
        results["drain"] = _drain(redis, settings)
        results["failed_jobs"] = sum(
            FailedJobRegistry(name, connection=redis).count for name in QUEUE_NAMES
        )
        # None died (the supervisor of --count restarts a worker that died, with a new pid).
        results["rq_pids"] = {"start": workers_at_start, "end": _rq_pids(worker.pid)}
        results["worker_alive"] = (
            worker.poll() is None and results["rq_pids"]["end"] == workers_at_start
        )
        results["workers"] = args.workers
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        server.stop()


def _prepare(settings: Settings) -> tuple[str, str]:
    """One report made in process (its reference for the API), and a supervisor with a
    console password and an API token."""
    from gateway import create_app

    app = create_app(settings)
    screens = ussd.check_walk(app)
    found = ussd.REFERENCE.search(screens[-1])
    assert found is not None  # check_walk insists
    rt = app.extensions["kinga"]
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        user = create_user(
            session,
            rt.vault,
            username=USERNAME,
            role="supervisor",
            phone=None,
            now=now,
            actor=ACTOR,
        )
        set_password(session, user, PASSWORD, now=now, actor=ACTOR)
        _token, secret = create_token(session, user, name="soak", now=now, actor=ACTOR)
    return found.group(0), secret


def _sign_in(base: str) -> str:
    """The ``kinga_session`` cookie of a console sign-in, as a browser gets it."""
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    with opener.open(f"{base}/staff/login") as page:
        html = page.read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if csrf is None:
        raise BenchError("the console's sign-in page has no csrf_token field")
    form = urlencode({"csrf_token": csrf.group(1), "username": USERNAME, "password": PASSWORD})
    with opener.open(f"{base}/staff/login", data=form.encode()):
        pass
    for cookie in jar:
        if cookie.name == "kinga_session":
            return f"kinga_session={cookie.value}"
    raise BenchError("signing in to the console gave no kinga_session cookie")


def _request_files(
    tmp: Path,
    key: str,
    reference: str,
    token: str,
    cookie: str,
    rates: dict[str, float],
    seconds: float,
) -> dict[str, Path]:
    files = {name: tmp / f"{name}.txt" for name in ("sms", "api", "console")}
    run = str(int(time.time()))[-6:]
    sms.write_at_requests(files["sms"], int(rates["sms"] * seconds * 1.5) + 100, run, key)
    bearer = f"Authorization: Bearer {token}"
    files["api"].write_text(
        f"GET /api/v1/cases?limit=20\t{bearer}\t\nGET /api/v1/cases/{reference}\t{bearer}\t\n"
    )
    files["console"].write_text(
        f"GET /staff/cases\tCookie: {cookie}\t\nGET /staff/supervisor\tCookie: {cookie}\t\n"
    )
    return files


def _requests(wrk: Wrk, base: str, file: Path, seconds: float, rate: float) -> Any:
    env = {"BENCH_REQUESTS": str(file), "BENCH_OFFSET": "0", "BENCH_EXPECT": "200"}
    return lambda: wrk.run(base, REQUESTS_SCRIPT, seconds, env, rate)


def _sample(at: float, server: Gunicorn, worker_pid: int) -> dict[str, Any]:
    pids = _rq_pids(worker_pid)
    return {
        "at": round(at, 1),
        "web": server.worker_rss_mib(),
        "rq": [_rss_mib(pid) for pid in pids],
        "rq_pids": pids,
    }


def _wait_for_workers(worker: subprocess.Popen[bytes], count: int) -> list[int]:
    """The RQ worker processes once all ``count`` are up (the supervisor of ``--count`` starts
    them after loading the app)."""
    deadline = time.monotonic() + START_SECONDS
    while worker.poll() is None and time.monotonic() < deadline:
        pids = _rq_pids(worker.pid)
        if len(pids) == count:
            return pids
        time.sleep(0.5)
    raise BenchError(f"kinga worker --count {count} did not start its workers (worker.log)")


def _rq_pids(pid: int) -> list[int]:
    """The RQ worker processes: ``kinga worker`` itself, or with ``--count`` above 1 the
    children of its supervisor (not the work horses and schedulers they fork)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    if b"--count" in cmdline and cmdline[cmdline.index(b"--count") + 1] != b"1":
        return sorted(int(child) for child in children)
    return [pid]


def _rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _memory(samples: list[dict[str, Any]], warm_up: float) -> dict[str, dict[str, Any]]:
    """Per process: RSS at the first sample after the warm-up, at the last, and the growth."""
    after = [s for s in samples if s["at"] >= warm_up] or samples[-1:]
    first, last = after[0], after[-1]
    pairs = {f"web worker {n + 1}": (w0, w1) for n, (w0, w1) in
             enumerate(zip(first["web"], last["web"], strict=False))}  # fmt: skip
    for n, (r0, r1) in enumerate(zip(first["rq"], last["rq"], strict=False)):
        pairs[f"RQ worker {n + 1}"] = (r0, r1)
    rows = {}
    for name, (start, end) in pairs.items():
        growth = (end - start) / start if start else 0.0
        rows[name] = {
            "rss_after_warm_up_mib": round(start, 1),
            "rss_at_end_mib": round(end, 1),
            "growth": round(growth, 4),
            "within_bound": growth <= RSS_GROWTH_BOUND,
        }
    return rows


def _drain(redis: Any, settings: Settings) -> dict[str, Any]:
    """Wait (at most ``DRAIN_SECONDS``) for empty queues and no outbox row left undispatched
    past the sweep's age."""
    from case_store.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    started = time.monotonic()
    print("waiting for the queues and the outbox to drain ...", flush=True)
    while True:
        queued = sum(Queue(name, connection=redis).count for name in QUEUE_NAMES)
        running = sum(StartedJobRegistry(name, connection=redis).count for name in QUEUE_NAMES)
        old = datetime.now(UTC) - timedelta(seconds=SWEEP_AGE)
        with sessions() as session:
            late = session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.dispatched_at.is_(None), OutboxRow.created_at < old)
            )
        waited = time.monotonic() - started
        drained = queued == 0 and running == 0 and late == 0
        if drained or waited > DRAIN_SECONDS:
            engine.dispose()
            return {
                "drained": drained,
                "seconds": round(waited, 1),
                "queued": queued,
                "running": running,
                "outbox_undispatched_past_sweep_age": late,
            }
        time.sleep(2)


def _stream(load: Load) -> dict[str, Any]:
    return {
        **load.as_dict(),
        "failed": load.errors + load.non_2xx + load.bad,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Soak {results['started']} at {results['commit']} ({results['minutes']:g} min)",
        "",
        f"{results['cpus']} CPUs ({results['cores']}; load average at start "
        f"{', '.join(f'{n:.1f}' for n in results['load_average_at_start'])}); "
        f"database: {results['database']}; Redis: {results['redis']}",
        "",
        f"USSD saturation: {results['saturation']['rate']:.1f} req/s; "
        f"soak rates asked (req/s): {results['rates_asked']}",
        "",
        "| stream | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors | bad answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in results["streams"].items():
        lines.append(
            f"| {name} | {s['requests']} | {s['rate']:.1f} | {s['p50']:.1f} | {s['p99']:.1f} "
            f"| {s['non_2xx']} | {s['errors']} | {s['bad']} |"
        )
    lines += [
        "",
        f"| process | RSS after warm-up MiB | RSS at end MiB | growth (bound "
        f"{results['rss_growth_bound']:.0%}) |",
        "|---|---|---|---|",
    ]
    for name, m in results["memory"].items():
        mark = "" if m["within_bound"] else " **over**"
        lines.append(
            f"| {name} | {m['rss_after_warm_up_mib']} | {m['rss_at_end_mib']} "
            f"| {m['growth']:+.1%}{mark} |"
        )
    for name, s in results["streams"].items():
        if s["first_bad"]:
            lines.append(f"\n{name}, first bad answer: {s['first_bad']}")
    d = results["drain"]
    lines += [
        "",
        f"Drain: {'drained' if d['drained'] else '**not drained**'} in {d['seconds']} s "
        f"(queued {d['queued']}, running {d['running']}, outbox rows undispatched past "
        f"{SWEEP_AGE} s: {d['outbox_undispatched_past_sweep_age']}); failed jobs "
        f"{results['failed_jobs']}; RQ workers ({results['workers']}) alive, none restarted: "
        f"{results['worker_alive']}.",
        "",
        f"**{'PASSED' if results['passed'] else 'FAILED'}**",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
