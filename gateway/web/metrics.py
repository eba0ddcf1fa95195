"""``GET /metrics`` for Prometheus, and the timing of every provider webhook.

Who may read it: with ``KINGA_METRICS_TOKEN`` set, whoever sends it as a bearer token; without
it, only a client on a loopback or private address. The client's address is the one the app
believes (``KINGA_TRUSTED_PROXIES``, as for the console's sign-in throttling): a request that
came through a proxy Kinga was not told to trust carries ``X-Forwarded-For`` and is refused,
since its address would be the proxy's own. Nothing here names a caller: the labels are the
bounded sets of ``workers.metrics``.

Each webhook's time is taken from before its first line to its answer, labelled with its URL
rule (``/ussd/africastalking``, never the URL with its key) and its provider.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from gateway.metrics.files import ENV, FilesCollector
from gateway.metrics.live import LiveCollector
from gateway.providers.provider import Provider
from gateway.runtime import runtime
from workers.metrics import WEBHOOK_SECONDS

bp = Blueprint("metrics", __name__)
BEARER = "Bearer "


@bp.get("/metrics")
def scrape() -> Response:
    rt = runtime()
    _check_access(rt.settings.metrics_token, rt.settings.trusted_proxies)
    registry = CollectorRegistry(auto_describe=False)
    folder = os.environ.get(ENV)
    registry.register(FilesCollector(Path(folder)) if folder else _ThisProcess())
    registry.register(LiveCollector(rt))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _check_access(token: str, trusted_proxies: int) -> None:
    if token:
        given = request.headers.get("Authorization", "")
        if not (given.startswith(BEARER) and _same(given[len(BEARER) :], token)):
            abort(401, description="a bearer token is required")
        return
    if not trusted_proxies and "X-Forwarded-For" in request.headers:
        abort(403, description="behind a proxy: set KINGA_TRUSTED_PROXIES or KINGA_METRICS_TOKEN")
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        abort(403, description="metrics are served to private addresses only")
    if not (address.is_loopback or address.is_private):
        abort(403, description="metrics are served to private addresses only")


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), token.encode())


class _ThisProcess(Collector):
    """Without a metrics directory (``flask run``, a test): this process's own registry."""

    def collect(self) -> list[Metric]:
        return list(REGISTRY.collect())


def time_webhooks(app: Flask, providers: tuple[Provider, ...]) -> None:
    """Time every request to a provider's blueprint, by URL rule and provider."""
    names = {p.blueprint.name: p.name for p in providers if p.blueprint is not None}

    @app.before_request
    def _start() -> None:
        if request.blueprint in names:
            g.kinga_webhook_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("kinga_webhook_started", None)
        if started is not None and request.url_rule is not None:
            WEBHOOK_SECONDS.labels(
                endpoint=request.url_rule.rule, provider=names[str(request.blueprint)]
            ).observe(time.perf_counter() - started)
        return response
