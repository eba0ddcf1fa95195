"""Workers benchmark: how fast an alert leaves, and what the deadline sweep costs.

    .venv/bin/python bench/workers.py [--rates 1 5] [--seconds 20] [--burst 300] [--cases 100000]

1. Latency: one, then two worker processes started as ``kinga worker`` (the command itself:
   the forking RQ worker, its scheduler and its per-minute schedule), sending through the fake
   Twilio server (tests/fakes: real HTTP on 127.0.0.1). Reports are opened at steady rates as
   the gateway opens them (``open_case`` and the new-case alert queued in one transaction,
   committed, dispatched); for each alert, the time from that commit to the fake provider
   accepting it: p50 and p95 (targets 2 s and 5 s). One report a second is a very busy
   helpline; five a second is more than one worker sends (see 2), so its queue grows.
2. Throughput: ``--burst`` alerts queued with no worker running, then drained by one and then
   two workers: alerts per second per worker, from the first alert accepted to the last.
3. The deadline sweep over ``--cases`` open cases (all levels, opened over the last 30 days,
   unassigned: every deadline runs), with the steps their age has taken recorded as a sweep
   running every minute would have left them. Timed: the read of the cases due (a range scan
   of ``ix_case_deadline_check``, with its query plan), one minute's sweep (target 2 s), and a
   sweep after ten minutes without workers.

SQLite in a temporary folder and an embedded Redis by default. With KINGA_DATABASE_URL set to
PostgreSQL the benchmark creates (drops first) a database of its own, ``kinga_bench_workers``,
on that server, and never touches the configured database; KINGA_REDIS_URL is used when set
(flushed). Prints figures and writes them to bench/results/workers-<database>-<time>.json;
asserts nothing. No personal data: the reports are made up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import storage  # noqa: E402
from fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeTwilio, Recorded, Reply  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import bindparam, insert, select, text  # noqa: E402

from case_store import migrate  # noqa: E402
from case_store.columns import UTCDateTime  # noqa: E402
from case_store.deadline_steps import ESCALATE, deadline_steps, plan  # noqa: E402
from case_store.enums import Deadline, RiskLevel  # noqa: E402
from case_store.models import Case, DeadlineStep, OutboxRow  # noqa: E402
from case_store.operations import create_user, open_case  # noqa: E402
from case_store.references import damm_digit  # noqa: E402
from case_store.report_contract import Report  # noqa: E402
from gateway.config.redis import embedded_redis_url, redis_from_url  # noqa: E402
from gateway.config.settings import Settings  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402
from workers.alerts import on_case_opened  # noqa: E402
from workers.deadlines import BATCH, run_deadline_sweep  # noqa: E402
from workers.dispatch import dispatch  # noqa: E402

BENCH_DB = "kinga_bench_workers"
RESULTS = ROOT / "bench" / "results"
TWILIO_FROM = "+15005550006"
CASEWORKER = "+254700999001"
ANSWERS = {
    "danger": "no",
    "category": "other",  # low: nothing else is due while the latency is measured
    "age_band": "5_11",
    "sex": "girl",
    "area": "047",
    "relationship": "community",
    "callback": "no",
}
LEVELS = [RiskLevel.IMMEDIATE, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW]
LEVEL_SHARE = [0.05, 0.25, 0.35, 0.35]
CATEGORY = {
    RiskLevel.IMMEDIATE: "physical_violence",
    RiskLevel.HIGH: "sexual_abuse",
    RiskLevel.MEDIUM: "physical_violence",
    RiskLevel.LOW: "other",
}


class TimedTwilio(FakeTwilio):
    """The fake Twilio, noting when it accepted each message (by the body's reference)."""

    def __init__(self) -> None:
        super().__init__(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
        self.accepted: dict[str, float] = {}

    def answer(self, request: Recorded, failure: str | None) -> Reply:
        reply = super().answer(request, failure)
        body = request.field("Body") or ""
        reference = next((word for word in body.split() if len(word) == 9), "")
        if reply.status == 201 and reference.isdigit():
            self.accepted.setdefault(reference, time.time())
        return reply


# --- setup ------------------------------------------------------------------------------------


def database_url(tmp: Path) -> str:
    return storage.fresh_postgres(BENCH_DB) or f"sqlite:///{tmp / 'bench.db'}"


def environment(tmp: Path, twilio: FakeTwilio) -> dict[str, str]:
    env = {
        "KINGA_ENV": "development",
        "KINGA_VAR_DIR": str(tmp / "var"),
        "KINGA_DATABASE_URL": database_url(tmp),
        "KINGA_REDIS_URL": os.environ.get("KINGA_REDIS_URL") or embedded_redis_url(tmp / "redis"),
        "KINGA_PUBLIC_URL": "https://kinga.example.org",
        "KINGA_SMS_PROVIDERS": "twilio",
        "KINGA_TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "KINGA_TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "KINGA_TWILIO_FROM": TWILIO_FROM,
        "KINGA_TWILIO_API_URL": twilio.base_url,
    }
    Settings.from_env(env)  # writes the development secrets once, before any worker starts
    return env


def reset(rt: Runtime) -> None:
    """Empty the benchmark's own rows and the queues between runs."""
    with rt.engine.begin() as conn:
        for table in ("deadline_step", "case_event", "message_event", "message", "outbox"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
        conn.execute(text("DELETE FROM contact"))
        conn.execute(text('DELETE FROM "case"'))
        conn.execute(text("DELETE FROM reporter"))
    rt.redis.flushdb()


def add_on_call_staff(rt: Runtime, phones: dict[str, str]) -> None:
    with rt.sessions.begin() as session:
        for role, phone in phones.items():
            create_user(
                session,
                rt.vault,
                username=f"bench-{role}",
                role=role,
                phone=phone,
                now=datetime.now(UTC),
                on_call=True,
            )


@contextmanager
def kinga_workers(env: dict[str, str], count: int, tmp: Path, rt: Runtime) -> Iterator[None]:
    """``count`` ``kinga worker`` processes, running until the block ends."""
    kinga = Path(sys.executable).parent / "kinga"
    log = (tmp / "workers.log").open("a")
    processes = [
        subprocess.Popen(
            [str(kinga), "worker"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        wait(lambda: len(Worker.all(connection=rt.redis)) >= count, "the workers to start")
        yield
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        log.close()


def wait(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.02)


def open_report(rt: Runtime, n: int) -> tuple[str, float]:
    """One report opened as the gateway opens it; its reference and when it was committed."""
    now = datetime.now(UTC)
    with rt.sessions() as session:
        case = open_case(
            session,
            rt.vault,
            Report(
                channel="ussd",
                provider="africastalking",
                external_id=f"ATUid_bench_{n}_{time.monotonic_ns()}",
                phone=f"+2547{n % 100_000_000:08d}",
                language="en",
                answers=ANSWERS,
                started_at=now,
            ),
            now=now,
            policy=rt.triage,
        )
        rows = on_case_opened(
            session,
            rt.vault,
            case,
            profile=rt.profile,
            max_segments=rt.settings.sms_max_segments,
            now=now,
        )
        session.commit()
        committed = time.time()
    dispatch(rt.redis, rows)
    return case.reference, committed


# --- 1 and 2: latency and throughput ----------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(
    rt: Runtime, env: dict[str, str], twilio: TimedTwilio, tmp: Path, workers: int, rate: float,
    seconds: float,
) -> dict[str, Any]:  # fmt: skip
    reset(rt)
    twilio.accepted.clear()
    committed: dict[str, float] = {}
    with kinga_workers(env, workers, tmp, rt):
        started = time.monotonic()
        for n in range(int(rate * seconds)):
            pause = started + n / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            reference, at = open_report(rt, n)
            committed[reference] = at
        wait(lambda: set(committed) <= set(twilio.accepted), "every alert to be accepted")
    delays = [twilio.accepted[reference] - at for reference, at in committed.items()]
    result = {
        "workers": workers,
        "alerts": len(delays),
        "rate_per_s": rate,
        "p50_s": percentile(delays, 0.5),
        "p95_s": percentile(delays, 0.95),
        "max_s": max(delays),
    }
    print(
        f"latency, {workers} worker(s), {rate:g} reports/s: committed → accepted "
        f"p50 {result['p50_s']:.2f} s, p95 {result['p95_s']:.2f} s, max {result['max_s']:.2f} s "
        f"({len(delays)} alerts; targets 2 s / 5 s)"
    )
    return result


def throughput(
    rt: Runtime, env: dict[str, str], twilio: TimedTwilio, tmp: Path, workers: int, burst: int
) -> dict[str, Any]:
    reset(rt)
    twilio.accepted.clear()
    references = [open_report(rt, n)[0] for n in range(burst)]
    with kinga_workers(env, workers, tmp, rt):
        wait(lambda: set(references) <= set(twilio.accepted), "the burst to be sent", 600)
    times = sorted(twilio.accepted[reference] for reference in references)
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"throughput, {workers} worker(s): {rate:.1f} alerts/s, "
        f"{rate / workers:.1f} per worker ({burst} alerts queued at once)"
    )
    return {"workers": workers, "alerts": burst, "per_s": rate, "per_worker_per_s": rate / workers}


# --- 3: the deadline sweep --------------------------------------------------------------------


def reference(n: int) -> str:
    body = f"{(n * 7_919 + 10_000_000) % 100_000_000:08d}"
    return body + damm_digit(body)


def seed_open_cases(rt: Runtime, count: int, now: datetime, rng: random.Random) -> dict[str, int]:
    """``count`` open, unassigned cases opened over the last 30 days, each with the steps a
    sweep running every minute up to ``now`` would have taken, and its next check."""
    policy, deadlines = rt.triage, rt.profile.deadlines
    cases: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        level = rng.choices(LEVELS, LEVEL_SHARE)[0]
        opened = now - timedelta(seconds=rng.uniform(60, 30 * 24 * 3600))
        windows = policy.deadlines[level]
        due = {
            Deadline.ASSIGN: opened + windows.assign_within,
            Deadline.FIRST_CONTACT: opened + windows.first_contact_within,
        }
        wakes = []
        for deadline, deadline_at in due.items():
            immediate = deadline is Deadline.ASSIGN and level is RiskLevel.IMMEDIATE
            escalate_at = opened + policy.escalate_within if immediate else None
            taken: dict[str, datetime] = {}
            while True:
                step_plan = plan(
                    deadline_steps(
                        deadlines,
                        level=level,
                        opened=opened,
                        deadline=deadline_at,
                        escalate_at=escalate_at,
                        escalated_at=taken.get(ESCALATE),
                    ),
                    taken,
                    now,
                )
                if step_plan.take is None:
                    wakes.extend([step_plan.wake] if step_plan.wake else [])
                    break
                for step, outcome in [(s, "skipped") for s in step_plan.skip] + [
                    (step_plan.take, "sent")
                ]:
                    taken[step.name] = step.due
                    steps.append(
                        {"case_id": n, "deadline": deadline.value, "step": step.name,
                         "outcome": outcome, "recipients": 1, "at": step.due}
                    )  # fmt: skip
        cases.append(
            {
                "id": n,
                "reference": reference(n),
                "status": "open",
                "risk_level": level.value,
                "immediate_danger": level is RiskLevel.IMMEDIATE,
                "category": CATEGORY[level],
                "child_age_band": "5_11",
                "child_sex": "girl",
                "location_code": f"{rng.randint(1, 47):03d}",
                "reporter_relationship": "community",
                "callback_consent": False,
                "assign_by": due[Deadline.ASSIGN],
                "first_contact_by": due[Deadline.FIRST_CONTACT],
                "created_at": opened,
                "deadline_check_at": min(wakes, default=None),
                "answers": {},
            }
        )
    with rt.engine.begin() as conn:
        for chunk in range(0, len(cases), 5_000):
            conn.execute(insert(Case), cases[chunk : chunk + 5_000])
        for chunk in range(0, len(steps), 5_000):
            conn.execute(insert(DeadlineStep), steps[chunk : chunk + 5_000])
        if rt.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('case_id_seq', (SELECT max(id) FROM \"case\"))"))
            conn.execute(text('ANALYZE "case"'))
            conn.execute(text("ANALYZE deadline_step"))
    return {"cases": len(cases), "steps": len(steps)}


def due_plan(rt: Runtime, now: datetime) -> list[str]:
    """The database's plan for the sweep's read of the cases due."""
    explain = "EXPLAIN QUERY PLAN" if rt.engine.dialect.name == "sqlite" else "EXPLAIN"
    read = 'SELECT id FROM "case" WHERE deadline_check_at <= :now ORDER BY deadline_check_at, id'
    query = text(f"{explain} {read} LIMIT :batch").bindparams(
        bindparam("now", now, type_=UTCDateTime()), bindparam("batch", BATCH)
    )
    with rt.engine.connect() as conn:
        return [str(row[-1]) for row in conn.execute(query)]


def timed_sweep(rt: Runtime, now: datetime) -> dict[str, Any]:
    with rt.engine.connect() as conn:
        due = conn.scalar(
            select(text("count(*)")).select_from(Case).where(Case.deadline_check_at <= now)
        )
        outbox_before = conn.scalar(select(text("count(*)")).select_from(OutboxRow))
    started = time.perf_counter()
    queued = run_deadline_sweep(
        rt.sessions,
        rt.redis,
        rt.vault,
        profile=rt.profile,
        policy=rt.triage,
        max_segments=rt.settings.sms_max_segments,
        now=now,
    )
    elapsed = time.perf_counter() - started
    with rt.engine.connect() as conn:
        outbox_after = conn.scalar(select(text("count(*)")).select_from(OutboxRow))
    return {"cases_due": due, "sms_queued": queued, "outbox_rows": outbox_after - outbox_before,
            "seconds": elapsed}  # fmt: skip


def sweep_cost(rt: Runtime, count: int) -> dict[str, Any]:
    reset(rt)
    rng = random.Random(12)
    now = datetime.now(UTC).replace(microsecond=0)
    last_minute = now - timedelta(minutes=1)
    started = time.perf_counter()
    seeded = seed_open_cases(rt, count, last_minute, rng)
    print(
        f"deadline sweep: {seeded['cases']} open cases and {seeded['steps']} steps taken seeded "
        f"in {time.perf_counter() - started:.0f} s"
    )
    with rt.engine.connect() as conn:
        checked = conn.scalar(
            select(text("count(*)")).select_from(Case).where(Case.deadline_check_at.is_not(None))
        )
    reads = []
    with rt.sessions() as session:
        for _ in range(20):
            began = time.perf_counter()
            session.scalars(
                select(Case.id)
                .where(Case.deadline_check_at <= now)
                .order_by(Case.deadline_check_at, Case.id)
                .limit(BATCH)
            ).all()
            reads.append(time.perf_counter() - began)
    plan_lines = due_plan(rt, now)
    read_ms = statistics.median(reads) * 1000
    print(f"  {checked} cases still have a deadline to chase; the read of those due: "
          f"{read_ms:.2f} ms (median of 20); plan: {' / '.join(plan_lines)}")  # fmt: skip
    minute = timed_sweep(rt, now)
    print(
        f"  one minute's sweep: {minute['seconds']:.3f} s for {minute['cases_due']} cases due, "
        f"{minute['sms_queued']} SMS queued (target 2 s)"
    )
    later = timed_sweep(rt, now + timedelta(minutes=10))
    print(
        f"  after ten minutes without workers: {later['seconds']:.3f} s for "
        f"{later['cases_due']} cases due, {later['sms_queued']} SMS queued"
    )
    return {"open_cases": count, "steps_seeded": seeded["steps"], "cases_to_chase": checked,
            "due_read_ms": read_ms, "due_read_plan": plan_lines, "minute": minute,
            "after_ten_minutes": later}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[1, 5], help="reports per second (latency)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="length of a latency run")
    parser.add_argument("--burst", type=int, default=300, help="alerts queued at once")
    parser.add_argument("--cases", type=int, default=100_000, help="open cases for the sweep")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    # The fake writes headers and body separately: without TCP_NODELAY each answer would wait
    # for the client's delayed ACK, which would measure the kernel, not Kinga.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    with tempfile.TemporaryDirectory() as folder, TimedTwilio() as twilio:
        tmp = Path(folder)
        env = environment(tmp, twilio)
        os.environ.update(env)
        migrate.upgrade(env["KINGA_DATABASE_URL"])
        rt = Runtime.build(Settings.from_env(env))
        redis_from_url(env["KINGA_REDIS_URL"]).flushdb()
        database = rt.engine.dialect.name
        add_on_call_staff(
            rt, {"caseworker": CASEWORKER, "supervisor": "+254700999002", "admin": "+254700999003"}
        )
        print(f"database: {database}; workers: `kinga worker` processes; fake Twilio over HTTP")
        results: dict[str, Any] = {"database": database, "at": datetime.now(UTC).isoformat()}
        results["latency"] = [
            latency(rt, env, twilio, tmp, workers, rate, args.seconds)
            for workers in (1, 2)
            for rate in args.rates
        ]
        results["throughput"] = [
            throughput(rt, env, twilio, tmp, workers, args.burst) for workers in (1, 2)
        ]
        results["deadline_sweep"] = sweep_cost(rt, args.cases)
        rt.engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"workers-{database}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
