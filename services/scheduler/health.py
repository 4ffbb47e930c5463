"""Liveness and readiness, for load balancers and docker-compose healthchecks."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from services.scheduler.context import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    if db().ping():
        return jsonify(status="ready"), 200
    return jsonify(error={"code": "database_unavailable", "message": "database unreachable"}), 503
