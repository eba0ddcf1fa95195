"""The gauges read at scrape time: how many jobs wait on each queue and how many failed, how
many open cases are past a deadline, how many missed calls wait for a call back. One Redis
round trip and three counts over partial indexes: a scrape costs the same however many cases
there are. Whether Redis and the database answered is ``kinga_up``; a part that does not
answer leaves its gauges out rather than failing the scrape."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from case_store.queries.missed_calls import count_waiting_missed_calls
from case_store.queries.oversight import overdue_counts
from gateway.runtime import Runtime
from workers.failed_jobs import queue_counts

log = logging.getLogger("kinga.metrics")


class LiveCollector(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("kinga_up", "Whether the part answered the scrape.", labels=["part"])
        redis_up = self._queues()
        database_up = self._cases()
        up.add_metric(["redis"], 1.0 if redis_up is not None else 0.0)
        up.add_metric(["database"], 1.0 if database_up is not None else 0.0)
        return [up, *(redis_up or []), *(database_up or [])]

    def _queues(self) -> list[Metric] | None:
        try:
            counts = queue_counts(self.rt.redis)
        except redis.RedisError:
            log.warning("metrics: Redis did not answer; queue gauges left out")
            return None
        depth = GaugeMetricFamily("kinga_queue_jobs", "Jobs waiting on a queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "kinga_failed_jobs", "Jobs that failed and were not retried.", labels=["queue"]
        )
        for name, (waiting, failures) in counts.items():
            depth.add_metric([name], waiting)
            failed.add_metric([name], failures)
        return [depth, failed]

    def _cases(self) -> list[Metric] | None:
        try:
            with self.rt.sessions() as db:
                overdue = overdue_counts(db, now=datetime.now(UTC))
                waiting = count_waiting_missed_calls(db)
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer; case gauges left out")
            return None
        late = GaugeMetricFamily(
            "kinga_overdue_cases", "Open cases past a deadline.", labels=["deadline"]
        )
        for deadline, count in overdue.items():
            late.add_metric([deadline], count)
        missed = GaugeMetricFamily(
            "kinga_missed_calls_waiting", "Missed calls waiting for a call back.", value=waiting
        )
        return [late, missed]
