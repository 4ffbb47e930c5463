"""Liveness, readiness and metrics, for load balancers, compose healthchecks and Prometheus.

`/healthz`: the process answers (no database). `/readyz`: the database answers and its schema
is not older than this code (a replica started before `clinic db upgrade` finished stays out of
rotation; a newer schema is fine, since a migration never breaks the code one version back).
`/metrics`: Prometheus' text (shared.metrics); the proxy keeps it off the public address.
"""

from __future__ import annotations

from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Blueprint, Response, jsonify

from services.scheduler.context import db
from shared import metrics, migrate

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        with db().engine.connect() as conn:
            applied = set(MigrationContext.configure(conn).get_current_heads())
    except Exception:  # any failure to reach the database means "not ready", never a 500
        return _unready("database_unavailable", "database unreachable")
    problem = _schema_problem(applied)
    if problem is not None:
        return _unready("schema_outdated", problem)
    return jsonify(status="ready"), 200


@bp.get("/metrics")
def scrape() -> Response:
    return Response(metrics.render(db()), content_type=metrics.CONTENT_TYPE)


def _unready(code: str, message: str) -> tuple[Response, int]:
    response = jsonify(error={"code": code, "message": message})
    response.headers["Cache-Control"] = "no-store"
    return response, 503


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(""))


def _schema_problem(applied: set[str]) -> str | None:
    """None when the schema is at (or past) this code's migrations, else what to do."""
    if not applied:
        return "the database has no schema yet: run `clinic db upgrade`"
    script = _script()
    if applied == set(script.get_heads()):
        return None
    try:
        for revision in applied:
            script.get_revision(revision)
    except CommandError:
        return None  # a revision this code does not know: the schema is newer
    return "the database schema is older than this code: run `clinic db upgrade`"
