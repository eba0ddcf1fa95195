"""``make bench``: Kinga's serving figures beside a bare Flask and a Flask + Redis reference,
measured in the same run, printed as one table and written as JSON under ``bench/results/``.

    .venv/bin/python bench/run.py [--seconds 10] [--rounds 3] [--connections 8]
                                  [--only ussd,sms,sends,sessions,profile] [--before DIR]

Servers: gunicorn with Kinga's configuration (``gateway/gunicorn_config.py``, as ``kinga
serve``) for every app; the load generator is wrk (installed with apt-get when missing) with
Lua scripts that walk real Africa's Talking sessions (``ussd.lua``) or send new SMS webhooks
(``requests.lua``). wrk runs on its own CPU(s), the servers and Redis on the others, pinned
with taskset where the machine allows. Each figure is the median of ``--rounds`` rounds in
which every server gets its turn (the order turning each round); ratios are taken round by
round, then their median.

Storage: a temporary SQLite database and a Redis of the bench's own (the embedded server,
pinned with the servers) unless ``KINGA_REDIS_URL`` names one, which the bench then empties:
give it a database of its own (``redis://host:6379/15``). With ``KINGA_DATABASE_URL`` set to
PostgreSQL the reports are also measured there, in a database ``kinga_bench_serving`` the
bench creates (dropping it first) on that server; otherwise that row says it was skipped.

``--before DIR``: also serve the Kinga checked out in DIR (``git archive <commit> | tar -x -C
DIR``) as it was, without the ``hiredis`` parser, as another row of the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import profile_hop  # noqa: E402
import scaleout  # noqa: E402
import sms  # noqa: E402
import ussd  # noqa: E402
from serving import (  # noqa: E402
    RESULTS,
    BenchError,
    Cores,
    Gunicorn,
    Load,
    Wrk,
    ensure_tool,
    interleaved,
    median_load,
    median_of,
    median_ratio,
    serving,
)
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from storage import Storage, commit, fresh_postgres, storage  # noqa: E402

from case_store import migrate  # noqa: E402
from case_store.crypto import Vault  # noqa: E402
from case_store.models import Case  # noqa: E402
from gateway.channels.ussd.sessions import UssdSessionStore  # noqa: E402
from gateway.config.profile import load_profile  # noqa: E402
from gateway.config.redis import redis_from_url  # noqa: E402
from gateway.config.settings import Settings  # noqa: E402

# bench/dialogs.py, by its path: its name is the dialogs package's.
_spec = importlib.util.spec_from_file_location("bench_dialogs", ROOT / "bench" / "dialogs.py")
assert _spec is not None and _spec.loader is not None
dialog_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dialog_bench)

PG_DATABASE = "kinga_bench_serving"
SECTIONS = ("ussd", "sms", "scaleout", "sends", "sessions", "profile")
LIVE_SESSIONS = 10_000
SENDS = 300
# Block the hiredis parser in the ``--before`` server: the code before it did not have it.
NO_HIREDIS = "import sys\nsys.modules['hiredis'] = None\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (= threads)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    parser.add_argument("--before", type=Path, help="another Kinga checkout to serve as a row")
    parser.add_argument("--profile-reports", type=int, default=100)
    args = parser.parse_args()
    # The app's own log lines (a case opened, nobody on call) would bury the table.
    logging.disable(logging.WARNING)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    try:
        results = run(args, sections)
    except BenchError as error:
        raise SystemExit(f"make bench: {error}") from None
    print_table(results)
    write(results)


def run(args: argparse.Namespace, sections: set[str]) -> dict[str, Any]:
    wrk = Wrk(ensure_tool("wrk", "wrk"), Cores.split(), args.connections)
    cores = wrk.cores
    tmp = Path(tempfile.mkdtemp(prefix="kinga-bench-"))
    logs = tmp / "logs"
    logs.mkdir()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "cores": {"pinned": cores.pinned, "wrk": cores.client, "servers": cores.server},
        "cores_described": cores.describe(),
        "settings": {
            "seconds": args.seconds,
            "rounds": args.rounds,
            "connections": args.connections,
        },
        "gunicorn": _gunicorn_settings(),
        "rows": {},
    }
    try:
        with storage(tmp, cores, extra_env=sms.settings_env()) as stored:
            run_sections(args, sections, wrk, stored, logs, tmp, results)
    finally:
        kept = RESULTS / "logs"  # the servers' logs of the last run, to look into
        shutil.rmtree(kept, ignore_errors=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.move(logs, kept)
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def run_sections(
    args: argparse.Namespace,
    sections: set[str],
    wrk: Wrk,
    stored: Storage,
    logs: Path,
    tmp: Path,
    results: dict[str, Any],
) -> None:
    env, settings, redis_url = stored.env, stored.settings, stored.redis_url
    results["redis"] = stored.redis
    pg_url = fresh_postgres(PG_DATABASE) if sections & {"ussd", "sms", "scaleout"} else None
    where = f"{PG_DATABASE} on KINGA_DATABASE_URL's server, not pinned"
    results["postgresql"] = "none" if pg_url is None else where
    if pg_url is None:
        results["rows"]["postgresql"] = (
            "skipped: KINGA_DATABASE_URL is not a PostgreSQL URL (set it to measure reports "
            f"on PostgreSQL, in a database {PG_DATABASE} the bench creates there)"
        )
    if sections & {"ussd", "sms"}:
        served(args, sections, wrk, env, pg_url, settings, logs, tmp, results)
    if "scaleout" in sections:
        shared = env if pg_url is None else {**env, "KINGA_DATABASE_URL": pg_url}
        scaled(args, wrk, shared, settings, logs, results)
    if "sends" in sections:
        print("sends per worker ...", flush=True)
        sends_env = {**env, "KINGA_DATABASE_URL": f"sqlite:///{tmp / 'sends.db'}"}
        migrate.upgrade(sends_env["KINGA_DATABASE_URL"])
        results["rows"]["sends"] = sms.outbound(sends_env, SENDS)
    if "sessions" in sections:
        print(f"{LIVE_SESSIONS:,} live USSD sessions ...", flush=True)
        profile = load_profile(settings.deployment)
        store = UssdSessionStore(
            redis_from_url(redis_url),
            Vault(settings.encryption_keys, settings.phone_hash_key),
            settings.ussd_session_ttl,
            profile.resume_seconds,
        )
        results["rows"]["live_sessions"] = dialog_bench.live_sessions(store, LIVE_SESSIONS, 4)
    if "profile" in sections:
        print("profiling hops in process ...", flush=True)
        from gateway import create_app

        app = create_app(settings)
        ussd.check_walk(app)
        results["rows"]["in_process"] = profile_hop.profile(app, args.profile_reports, "current")


def served(
    args: argparse.Namespace,
    sections: set[str],
    wrk: Wrk,
    env: dict[str, str],
    pg_url: str | None,
    settings: Settings,
    logs: Path,
    tmp: Path,
    results: dict[str, Any],
) -> None:
    """The rows that load servers: USSD hops and reports, SMS inbound, worker memory."""
    from gateway import create_app

    ussd.check_walk(create_app(settings))  # before any load: the walk must make a report
    key = settings.at_webhook_key
    cores = wrk.cores
    servers = {
        "bare Flask": Gunicorn("bare Flask", "reference_apps:bare", env, cores, logs / "bare.log"),
        "Flask + Redis": Gunicorn(
            "Flask + Redis", "reference_apps:with_redis", env, cores, logs / "redis.log"
        ),
        "Kinga (SQLite)": Gunicorn(
            "Kinga (SQLite)", "gateway:create_app()", env, cores, logs / "kinga.log"
        ),
    }
    if pg_url is not None and sections & {"ussd", "sms"}:
        servers["Kinga (PostgreSQL)"] = Gunicorn(
            "Kinga (PostgreSQL)", "gateway:create_app()", {**env, "KINGA_DATABASE_URL": pg_url},
            cores, logs / "kinga-pg.log",
        )  # fmt: skip
    if args.before is not None and "ussd" in sections:
        servers["Kinga before"] = _before_server(args.before, env, cores, logs, tmp)
    if "sms" in sections:
        servers["bare Flask (SMS)"] = Gunicorn(
            "bare Flask (SMS)", "reference_apps:bare_sms", env, cores, logs / "bare-sms.log"
        )
    print(f"starting {len(servers)} gunicorn servers ({cores.describe()}) ...", flush=True)
    runs = count(int(time.time()) % 100_000 * 10)
    with serving(list(servers.values())):
        if "ussd" in sections:
            ussd_rows(args, wrk, servers, key, runs, results)
        if "sms" in sections:
            sms_rows(args, wrk, servers, key, tmp, results)
        results["rows"]["worker_rss_mib"] = {
            name: [round(size, 1) for size in server.worker_rss_mib()]
            for name, server in servers.items()
        }
    results["rows"]["cases_in_sqlite"] = _cases(env["KINGA_DATABASE_URL"])
    if pg_url is not None and sections & {"ussd", "sms"}:
        results["rows"]["cases_in_postgresql"] = _cases(pg_url)


def ussd_rows(
    args: argparse.Namespace,
    wrk: Wrk,
    servers: dict[str, Gunicorn],
    key: str,
    runs: Any,
    results: dict[str, Any],
) -> None:
    plan = {name: (name, ussd.REPORT) for name in ("bare Flask", "Flask + Redis")}
    for name in servers:
        if name.startswith("Kinga"):
            plan[name] = (name, ussd.REPORT)
            if "PostgreSQL" not in name:
                plan[f"{name}, menu hops only"] = (name, ussd.MENUS)

    def load(name: str, rate: float | None = None, seconds: float = args.seconds) -> Load:
        server, answers = plan[name]
        lua = ussd.lua_env(next(runs), server.startswith("Kinga"), answers)
        return wrk.run(servers[server].url + ussd.path(key), ussd.SCRIPT, seconds, lua, rate)

    print("USSD: warming up ...", flush=True)
    for name in plan:
        load(name, seconds=2)
    print(f"USSD: {args.rounds} rounds at saturation ...", flush=True)
    saturated = interleaved({name: _bind(load, name) for name in plan}, args.rounds)
    half = {name: median_of([r.rate for r in loads]) / 2 for name, loads in saturated.items()}
    print(f"USSD: {args.rounds} rounds at half the saturation rate ...", flush=True)
    halved = interleaved({name: _bind(load, name, half[name]) for name in plan}, args.rounds)
    rows = {}
    for name in plan:
        rows[name] = {
            "walk": "whole reports" if plan[name][1] == ussd.REPORT else "menu hops only",
            "saturation": _loads(saturated[name]),
            "half_saturation": _loads(halved[name]),
            "ratio_to_bare_flask": median_ratio(saturated[name], saturated["bare Flask"]),
            "ratio_to_flask_redis": median_ratio(saturated[name], saturated["Flask + Redis"]),
        }
        if name.startswith("Kinga"):
            every = saturated[name] + halved[name]
            rows[name]["bad_answers"] = sum(load.bad + load.errors for load in every)
            rows[name]["first_bad"] = next((load.first_bad for load in every if load.first_bad), "")
            if plan[name][1] == ussd.REPORT:
                median = median_load(saturated[name])
                rows[name]["reports_per_second"] = median.reports / median.seconds
    results["rows"]["ussd"] = rows


def sms_rows(
    args: argparse.Namespace,
    wrk: Wrk,
    servers: dict[str, Gunicorn],
    key: str,
    tmp: Path,
    results: dict[str, Any],
) -> None:
    capacity = int(args.seconds * 3000)  # requests per run the files hold, more than sent
    run = str(int(time.time()))[-6:]
    files = {
        "at": tmp / "sms-at.txt",
        "twilio": tmp / "sms-twilio.txt",
        "replay": tmp / "sms-replay.txt",
    }
    print("SMS: writing signed requests ...", flush=True)
    total = capacity * (args.rounds + 1)
    sms.write_at_requests(files["at"], total, run, key)
    sms.write_twilio_requests(files["twilio"], total, run)
    sms.write_replayed_request(files["replay"], run)
    plan = {
        "bare Flask": ("bare Flask (SMS)", "at"),
        "Kinga, Africa's Talking new SMS": ("Kinga (SQLite)", "at"),
        "Kinga, Twilio new SMS": ("Kinga (SQLite)", "twilio"),
        "Kinga, Twilio replayed webhook": ("Kinga (SQLite)", "replay"),
    }
    if "Kinga (PostgreSQL)" in servers:  # the target for a new message is on PostgreSQL
        plan["Kinga (PostgreSQL), Africa's Talking new SMS"] = ("Kinga (PostgreSQL)", "at")
        plan["Kinga (PostgreSQL), Twilio new SMS"] = ("Kinga (PostgreSQL)", "twilio")
    offsets = {name: count(0, capacity) for name in plan}

    def load(name: str, seconds: float = args.seconds) -> Load:
        server, file = plan[name]
        lua = {"BENCH_REQUESTS": str(files[file]), "BENCH_OFFSET": str(next(offsets[name]))}
        return wrk.run(servers[server].url, sms.SCRIPT, seconds, lua)

    print("SMS: warming up ...", flush=True)
    for name in plan:
        load(name, seconds=2)
    print(f"SMS: {args.rounds} rounds ...", flush=True)
    loads = interleaved({name: _bind(load, name) for name in plan}, args.rounds)
    results["rows"]["sms"] = {
        name: {
            "saturation": _loads(loads[name]),
            "ratio_to_bare_flask": median_ratio(loads[name], loads["bare Flask"]),
        }
        for name in plan
    }


def scaled(
    args: argparse.Namespace,
    wrk: Wrk,
    env: dict[str, str],
    settings: Settings,
    logs: Path,
    results: dict[str, Any],
) -> None:
    """Two Kinga masters behind nginx, round robin, one Redis and one database (PostgreSQL when
    configured): whole reports through one master and through both, and whether sessions
    split over both completed."""
    binary = ensure_tool("nginx", "nginx")
    cores = wrk.cores
    masters = [
        Gunicorn(f"Kinga master {n}", "gateway:create_app()", env, cores, logs / f"master{n}.log")
        for n in (1, 2)
    ]
    runs = count(int(time.time()) % 100_000 * 10 + 5)
    print("scale-out: two masters behind nginx ...", flush=True)
    with serving(masters):
        one = scaleout.Nginx(binary, masters[:1], logs / "nginx-one", cores).start()
        two = scaleout.Nginx(binary, masters, logs / "nginx-two", cores).start()
        try:
            proxies = {"one master behind nginx": one, "two masters behind nginx": two}

            def load(name: str, seconds: float = args.seconds) -> Load:
                lua = ussd.lua_env(next(runs), True)
                url = proxies[name].url + ussd.path(settings.at_webhook_key)
                return wrk.run(url, ussd.SCRIPT, seconds, lua)

            for name in proxies:
                load(name, seconds=2)
            loads = interleaved({name: _bind(load, name) for name in proxies}, args.rounds)
        finally:
            one.stop()
            two.stop()
    every = [load for runs_of in loads.values() for load in runs_of]
    database = "PostgreSQL" if env["KINGA_DATABASE_URL"].startswith("postgresql") else "SQLite"
    results["rows"]["scaleout"] = {
        "database": database,
        **{name: _loads(runs_of) for name, runs_of in loads.items()},
        "reports": sum(load.reports for load in loads["two masters behind nginx"]),
        "bad_answers": sum(load.bad + load.errors + load.non_2xx for load in every),
        "first_bad": next((load.first_bad for load in every if load.first_bad), ""),
        **two.sessions_by_master(),
    }


def _bind(function: Callable[..., Load], *args: Any) -> Callable[[], Load]:
    return lambda: function(*args)


def _loads(loads: list[Load]) -> dict[str, Any]:
    median = median_load(loads)
    return {
        "rate": median_of([load.rate for load in loads]),
        "p50_ms": median_of([load.p50 for load in loads]),
        "p95_ms": median_of([load.p95 for load in loads]),
        "p99_ms": median_of([load.p99 for load in loads]),
        "non_2xx": sum(load.non_2xx for load in loads),
        "socket_errors": sum(load.errors for load in loads),
        "rate_asked": median.rate_asked,
        "rounds": [load.as_dict() for load in loads],
    }


def _before_server(
    checkout: Path, env: dict[str, str], cores: Cores, logs: Path, tmp: Path
) -> Gunicorn:
    if not (checkout / "gateway" / "__init__.py").exists():
        raise BenchError(f"--before {checkout}: not a Kinga checkout (no gateway/ there)")
    shim = tmp / "no-hiredis"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(NO_HIREDIS)
    database = f"sqlite:///{tmp / 'before.db'}"
    migrate.upgrade(database)
    server = Gunicorn(
        "Kinga before", "gateway:create_app()", {**env, "KINGA_DATABASE_URL": database},
        cores, logs / "before.log",
    )  # fmt: skip
    server.pythonpath = f"{shim}:{checkout.resolve()}"
    server.cwd = checkout.resolve()
    return server


def _cases(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = int(conn.scalar(select(func.count()).select_from(Case)) or 0)
    engine.dispose()
    return found


def _gunicorn_settings() -> dict[str, Any]:
    from gateway import gunicorn_config

    return {
        "config": "gateway/gunicorn_config.py",
        "worker_class": gunicorn_config.worker_class,
        "workers": gunicorn_config.workers,
        "threads": gunicorn_config.threads,
    }


# --- the table ----------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    print()
    print(table(results))


def table(results: dict[str, Any]) -> str:
    g = results["gunicorn"]
    s = results["settings"]
    lines = [
        f"Kinga bench {results['started']} at {results['commit']}: "
        f"{results['machine']['cpus']} CPUs, {results['cores_described']}",
        f"every server: gunicorn {g['worker_class']}, {g['workers']} workers x {g['threads']} "
        f"threads ({g['config']}); wrk {s['connections']} connections (one per thread); "
        f"{s['rounds']} interleaved rounds x {s['seconds']:g} s, medians; "
        f"Redis: {results['redis']}; PostgreSQL: {results['postgresql']}",
        "",
        "| row | figure | p50 ms | p95 ms | p99 ms | / bare Flask | / Flask+Redis | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = results["rows"]
    for name, row in rows.get("ussd", {}).items():
        sat = row["saturation"]
        target = "≥ 0.40 bare" if name.startswith("Kinga") else ""
        lines.append(
            f"| USSD hop, {name} | {sat['rate']:,.0f} req/s | {sat['p50_ms']:.1f} | "
            f"{sat['p95_ms']:.1f} | {sat['p99_ms']:.1f} | {row['ratio_to_bare_flask']:.2f} | "
            f"{row['ratio_to_flask_redis']:.2f} | {target} |"
        )
    for name, row in rows.get("ussd", {}).items():
        half = row["half_saturation"]
        target = "p99 ≤ 20 ms" if name.startswith("Kinga") else ""
        lines.append(
            f"| USSD hop at half saturation, {name} | {half['rate']:,.0f} req/s "
            f"(asked {half['rate_asked'] or 0:,.0f}) | {half['p50_ms']:.1f} | "
            f"{half['p95_ms']:.1f} | {half['p99_ms']:.1f} | | | {target} |"
        )
    for name, row in rows.get("ussd", {}).items():
        if "reports_per_second" in row:
            bad = (
                f"; {row['bad_answers']} bad answers ({row['first_bad']})"
                if row["bad_answers"]
                else ""
            )
            lines.append(
                f"| complete reports, {name} | {row['reports_per_second']:,.1f} reports/s "
                f"({ussd.HOPS_PER_REPORT} hops each{bad}) | | | | | | |"
            )
    if isinstance(rows.get("postgresql"), str):
        lines.append(f"| complete reports, PostgreSQL | {rows['postgresql']} | | | | | | |")
    for name, row in rows.get("sms", {}).items():
        sat = row["saturation"]
        errors = f" ({sat['non_2xx']} non-2xx)" if sat["non_2xx"] else ""
        lines.append(
            f"| SMS inbound, {name} | {sat['rate']:,.0f} req/s{errors} | {sat['p50_ms']:.1f} | "
            f"{sat['p95_ms']:.1f} | {sat['p99_ms']:.1f} | {row['ratio_to_bare_flask']:.2f} | | |"
        )
    scale = rows.get("scaleout")
    if scale:
        for name in ("one master behind nginx", "two masters behind nginx"):
            sat = scale[name]
            lines.append(
                f"| USSD hop, Kinga ({scale['database']}), {name} | {sat['rate']:,.0f} req/s | "
                f"{sat['p50_ms']:.1f} | {sat['p95_ms']:.1f} | {sat['p99_ms']:.1f} | | | |"
            )
        verdict = "OK" if scale["bad_answers"] == 0 and scale["reports"] else "FAILED"
        lines.append(
            f"| scale-out check (two masters, one Redis, {scale['database']}) | {verdict}: "
            f"{scale['sessions_over_several_masters']:,} of {scale['sessions']:,} sessions "
            f"answered by both masters, {scale['reports']:,} reports, "
            f"{scale['bad_answers']} bad answers {scale['first_bad']}; hops by master "
            f"{sorted(scale['hops_by_master'].values())} | | | | | | all complete |"
        )
    for name, rate in rows.get("sends", {}).items():
        lines.append(f"| sends per worker, {name} | {rate:,.0f} sends/s | | | | | | |")
    live = rows.get("live_sessions")
    if live:
        lines.append(
            f"| Redis per live USSD session ({live['sessions']:,} live) | "
            f"{live['used_memory_per_session']:,.0f} B (used_memory growth); MEMORY USAGE "
            f"{live['memory_usage_per_session']:,.0f} B; value mean "
            f"{live['stored_value_mean']:,.0f} B, max {live['stored_value_max']:,} B "
            "| | | | | | ≤ 1 KB |"
        )
    hop = rows.get("in_process")
    if hop:
        lines.append(
            f"| Redis round trips per hop (in process) | max {hop['redis_round_trips_max']}, "
            f"mean {hop['redis_round_trips_mean']:.2f}; by hop "
            f"{hop['redis_round_trips_by_hop']} | | | | | | ≤ 2 |"
        )
        lines.append(
            f"| database transactions per report (in process) | "
            f"{hop['write_transactions_per_report']} writing, "
            f"{hop['transactions_per_report']} in all | | | | | | 1 writing |"
        )
        lines.append(
            f"| CPU per hop in process (median) | menus {hop['cpu_ms_per_menu_hop']:.2f} ms, "
            f"the report's last hop {hop['cpu_ms_per_report_hop']:.2f} ms; "
            f"{hop['cpu_ms_per_report']:.1f} ms per report; profile {hop['profile_html']} "
            "| | | | | | |"
        )
    for name, sizes in rows.get("worker_rss_mib", {}).items():
        if sizes:
            lines.append(
                f"| web worker RSS, {name} | {', '.join(f'{s:.0f}' for s in sizes)} MiB "
                "| | | | | | |"
            )
    if "cases_in_sqlite" in rows:
        lines.append(f"| cases written (SQLite) | {rows['cases_in_sqlite']:,} | | | | | | |")
    return "\n".join(lines)


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "")
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / "latest.json").write_text(path.read_text())
    (RESULTS / "latest.md").write_text(table(results) + "\n")
    print(f"\nwritten: {path.relative_to(ROOT)} (and latest.json, latest.md)")


if __name__ == "__main__":
    main()
