"""The embedded Redis: a command run next to ``kinga run`` shares its server and must leave it
running when it exits; the process that started the server stops it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis

from gateway.config.redis import redis_from_url

OWNER = """
import sys
from pathlib import Path
from gateway.config.redis import embedded_redis_url
print(embedded_redis_url(Path(sys.argv[1])), flush=True)
sys.stdin.read()
"""
VISITOR = """
import sys
from pathlib import Path
from gateway.config.redis import embedded_redis_url, redis_from_url
redis_from_url(embedded_redis_url(Path(sys.argv[1]))).ping()
"""


def test_only_the_process_that_started_the_server_stops_it(tmp_path: Path) -> None:
    var = str(tmp_path / "var")
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, var], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        client = redis_from_url(owner.stdout.readline().strip())
        client.set("kept", "1")
        subprocess.run([sys.executable, "-c", VISITOR, var], check=True, timeout=60)
        assert client.get("kept") == b"1"
    finally:
        assert owner.stdin is not None
        owner.stdin.close()
        owner.wait(timeout=60)
    with pytest.raises(redis.ConnectionError):
        client.ping()
