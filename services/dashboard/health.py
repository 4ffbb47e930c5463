"""Liveness, readiness and metrics, answered without a log-in and saying nothing about clients.

`/healthz`: the process answers (no database: a database outage must not restart it).
`/readyz`: the database answers. `/metrics`: Prometheus' text (shared.metrics); the proxy keeps
it off the public address.
"""

from __future__ import annotations

from flask import Blueprint, Response

from services.dashboard import context
from shared import metrics

bp = Blueprint("health", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    return Response(metrics.render(context.db()), content_type=metrics.CONTENT_TYPE)


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    up = context.db().ping()
    return {"status": "ready" if up else "database unavailable"}, 200 if up else 503


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
