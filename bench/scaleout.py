"""The scale-out check of ``make bench``: Kinga's gunicorn masters behind a real nginx, round
robin, sharing one Redis and one database, loaded with whole USSD report sessions.

Every hop carries its session id in a header (``X-Bench-Session``, set by ``ussd.lua``) and
nginx logs which master answered it; the check is that sessions whose hops were answered by
different masters still end with their report, and that no answer was wrong. Throughput
through one master and through two is reported beside the direct figure: it grows with the
masters only while the servers' CPUs are not all busy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from serving import BenchError, Cores, Gunicorn, free_port

CONFIG = """
{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format bench '$upstream_addr $http_x_bench_session $status';
    access_log {tmp}/nginx-access.log bench;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream kinga {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 64k;
        location / {{
            proxy_pass http://kinga;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


class Nginx:
    """nginx in front of ``upstreams``, round robin, on the server CPUs."""

    def __init__(self, binary: str, upstreams: list[Gunicorn], tmp: Path, cores: Cores) -> None:
        self.binary = binary
        self.upstreams = upstreams
        self.tmp = tmp
        self.cores = cores
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.tmp / "nginx-access.log"

    def start(self) -> Nginx:
        self.tmp.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{u.port};" for u in self.upstreams)
        user = "user root;" if os.geteuid() == 0 else ""  # workers may then read our tmp
        config = self.tmp / "nginx.conf"
        config.write_text(CONFIG.format(user=user, tmp=self.tmp, servers=servers, port=self.port))
        command = [*self.cores.prefix(self.cores.server), self.binary, "-c", str(config)]
        with (self.tmp / "nginx.out").open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 (our loopback)
                    return self
            except URLError as error:
                if getattr(error, "code", None) is not None:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.tmp / "nginx-error.log").read_text(errors="replace")[-2000:]
                raise BenchError(f"nginx did not start; its error log ends with:\n{log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def sessions_by_master(self) -> dict[str, object]:
        """From the access log: how many sessions, how many answered by several masters, and
        how many hops each master answered."""
        masters_of: dict[str, set[str]] = defaultdict(set)
        hops: dict[str, int] = defaultdict(int)
        statuses: dict[str, int] = defaultdict(int)
        for line in self.access_log.read_text().splitlines():
            upstream, session, status = line.split(" ")
            statuses[status] += 1
            if session != "-":
                masters_of[session].add(upstream)
                hops[upstream] += 1
        return {
            "sessions": len(masters_of),
            "sessions_over_several_masters": sum(len(m) > 1 for m in masters_of.values()),
            "hops_by_master": dict(hops),
            "statuses": dict(statuses),
        }
