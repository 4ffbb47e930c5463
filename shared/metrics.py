"""What operators watch, in Prometheus' text format (prometheus-client).

Counters and histograms are kept by the process that counts (under gunicorn in multiprocess
mode, see `metrics_process`, so a scrape of any worker sums them all); the outbox and worker
gauges are read from the database at scrape time, so every replica reports the same truth.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.db import Database
from shared.metrics_process import ENV as MULTIPROCESS_ENV
from shared.models import utcnow
from shared.queue_health import QueueHealth, queue_health

log = logging.getLogger("clinic.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no *_created series: they double the output and nothing reads them
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "clinic_http_requests",
    "HTTP requests answered, by route (the URL rule, never the path) and status",
    ["service", "route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "clinic_http_request_duration_seconds",
    "Time from receiving a request to sending the last byte of its answer",
    ["service", "route", "method"],
    buckets=_LATENCY_BUCKETS,
)
BOOKINGS = Counter(
    "clinic_bookings",
    "Booking changes committed: booked, moved, cancelled, completed, no_show",
    ["action"],
)
AVAILABILITY_SECONDS = Histogram(
    "clinic_availability_duration_seconds",
    "Time to find the free slots of one availability request (database reads included)",
    buckets=_LATENCY_BUCKETS,
)

_PENDING_ACTIONS = "clinic.metrics.booking_actions"


def observe_request(service: str, route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(service, route, method, str(status)).inc()
    REQUEST_SECONDS.labels(service, route, method).observe(seconds)


def booking_changed(session: Session, action: str) -> None:
    """Count `action` once the session's transaction commits (never for a rollback)."""
    session.info.setdefault(_PENDING_ACTIONS, []).append(action)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for action in session.info.pop(_PENDING_ACTIONS, ()):
        BOOKINGS.labels(action).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_ACTIONS, None)


class DatabaseGauges:
    """The outbox and the workers as the database has them, read at each scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        try:
            with self.db.read_statements() as session:
                health = queue_health(session, self.clock())
        except Exception:
            log.warning("metrics: the database did not answer", exc_info=True)
            yield _gauge("clinic_database_up", "1 when the database answered this scrape", 0)
            return
        yield _gauge("clinic_database_up", "1 when the database answered this scrape", 1)
        yield from _queue_gauges(health)


def _queue_gauges(health: QueueHealth) -> Iterator[Metric]:
    yield _gauge(
        "clinic_outbox_pending_messages",
        "Messages due and not yet sent, retries backing off included (reminders waiting for "
        "their time not counted)",
        health.pending,
    )
    yield _gauge(
        "clinic_outbox_failed_messages",
        "Messages given up on (refused address, or out of attempts): reception may retry them",
        health.failed,
    )
    yield _gauge(
        "clinic_outbox_oldest_pending_age_seconds",
        "How long the longest-waiting of those has waited since it was written (a reminder: "
        "since its last attempt was due); 0 when none waits",
        health.oldest_pending_age_seconds,
    )
    if health.worker_last_run is not None:
        yield _gauge(
            "clinic_worker_last_run_timestamp_seconds",
            "When a mail worker last finished a round (Unix time; the latest of all workers)",
            health.worker_last_run.timestamp(),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _ProcessCounts:
    """This process's counters, or under gunicorn every worker's, summed."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_ENV):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()


def render(db: Database, clock: Callable[[], datetime] = utcnow) -> bytes:
    """The text a scrape of /metrics gets."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessCounts())
    registry.register(DatabaseGauges(db, clock))
    return generate_latest(registry)


def timed_availability() -> Any:
    """`with timed_availability():` around one availability search."""
    return AVAILABILITY_SECONDS.time()
