"""USSD hop benchmark (docs/product.md, "Quality bars"): server time per hop, and throughput
under load.

    .venv/bin/python bench/ussd.py [--sessions 200] [--seconds 10]

1. Server time: complete reports through the real app (Flask test client, real Redis and
   database), timing every hop; prints p50 / p99 in milliseconds (target p99 ≤ 20 ms).
2. Throughput: the gateway under gunicorn and a bare Flask endpoint under the same gunicorn
   configuration, each loaded by the same client for the same time in this run; prints both
   rates and their ratio (target ≥ 50 %).

Uses KINGA_DATABASE_URL / KINGA_REDIS_URL when set, otherwise a temporary SQLite database and
an embedded Redis. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import gunicorn, load  # noqa: E402

from case_store import migrate  # noqa: E402
from gateway.config.redis import embedded_redis_url  # noqa: E402
from gateway.config.settings import Settings  # noqa: E402

REPORT = ["1", "2", "3", "2", "1", "1", "Kibera", "3", "She is alone at night", "2", "2", "1"]
BARE_APP = """
from flask import Flask, Response

app = Flask(__name__)


@app.post("/ussd")
def ussd():
    return Response("CON Welcome", mimetype="text/plain")
"""


def environment(tmp: Path) -> dict[str, str]:
    env = {
        "KINGA_ENV": "development",
        "KINGA_VAR_DIR": str(tmp / "var"),
        "KINGA_DATABASE_URL": os.environ.get("KINGA_DATABASE_URL")
        or f"sqlite:///{tmp / 'bench.db'}",
        "KINGA_REDIS_URL": os.environ.get("KINGA_REDIS_URL") or embedded_redis_url(tmp / "redis"),
    }
    Settings.from_env(env)  # writes the development secrets once, before any worker starts
    return env


def server_times(env: dict[str, str], sessions: int) -> list[float]:
    from gateway import create_app

    app = create_app(Settings.from_env(env))
    client = app.test_client()
    key = app.extensions["kinga"].settings.at_webhook_key
    times: list[float] = []
    for n in range(sessions):
        answers: list[str] = []
        for step in ["", *REPORT]:
            if step:
                answers.append(step)
            form = {
                "sessionId": f"bench-{n}",
                "serviceCode": "*384*116#",
                "phoneNumber": f"+2547{n:08d}",
                "text": "*".join(answers),
            }
            started = time.perf_counter()
            response = client.post(f"/ussd/africastalking?key={key}", data=form)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
    return times


def _same_request(path: str, body: bytes, _n: int) -> tuple[str, bytes, dict[str, str]]:
    return path, body, {"Content-Type": "application/x-www-form-urlencoded"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = environment(tmp)
        migrate.upgrade(env["KINGA_DATABASE_URL"])

        times = sorted(server_times(env, args.sessions))
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"server time per hop over {len(times)} hops: "
            f"p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms (target p99 <= 20 ms)"
        )

        (tmp / "bare_app.py").write_text(BARE_APP)
        key = Settings.from_env(env).at_webhook_key
        # A retried first hop: the realistic hot path (Redis read, no database write).
        form = urlencode(
            {
                "sessionId": "load",
                "serviceCode": "*384*116#",
                "phoneNumber": "+254700000001",
                "text": "",
            }
        ).encode()
        rates = {}
        for name, app, path, port in (
            ("bare Flask", "bare_app:app", "/ussd", 5601),
            ("Kinga USSD", "gateway:create_app()", f"/ussd/africastalking?key={key}", 5602),
        ):
            stop = gunicorn(app, port, env, tmp)
            try:
                request = partial(_same_request, path, form)
                load(port, request, 1, args.clients)  # warm up
                rates[name] = load(port, request, args.seconds, args.clients)
            finally:
                stop()
            print(f"{name}: {rates[name]:.0f} requests/s")
        ratio = rates["Kinga USSD"] / rates["bare Flask"]
        print(f"throughput ratio Kinga/bare Flask: {ratio:.0%} (target >= 50%)")


if __name__ == "__main__":
    main()
