"""Liveness, readiness and metrics, answered without a log-in and saying nothing about clients.

`/healthz`: the process answers (no database: a database outage must not restart it).
`/readyz`: the database answers. `/metrics`: Prometheus' text (shared.metrics); the proxy keeps
it off the public address.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from services.dashboard import context
from shared import metrics

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    if not context.db().ping():
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ready"), 200


@bp.get("/metrics")
def scrape() -> Response:
    return Response(metrics.render(context.db()), content_type=metrics.CONTENT_TYPE)
