"""Idempotent writes: a retried POST with the same Idempotency-Key replays the first response."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Response, g, request
from pydantic import BaseModel
from sqlmodel import Session

from services.scheduler.context import db, settings
from shared import idempotency
from shared.models import utcnow


def idempotent(action: Callable[[Session], BaseModel], status: int) -> Response:
    """Run `action` in one transaction; with an Idempotency-Key, at most once per key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        with db().transaction() as session:
            body = action(session).model_dump_json()
        return Response(body, status=status, mimetype="application/json")

    key = idempotency.check_key(key)
    api_key_id = g.api_key.id
    request_hash = idempotency.fingerprint(request.method, request.path, request.get_data())
    expired = utcnow() - timedelta(hours=settings().idempotency_hours)
    for _ in range(2):
        with db().read() as session:
            done = idempotency.find(session, api_key_id, key, request_hash, expired_before=expired)
        if done is not None:
            return Response(
                done.response_body,
                status=done.status_code,
                mimetype="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            with db().transaction() as session:
                record = idempotency.claim(
                    session, api_key_id, key, request_hash, expired_before=expired
                )
                body = action(session).model_dump_json()
                idempotency.complete(session, record, status, body)
            return Response(body, status=status, mimetype="application/json")
        except idempotency.AlreadyClaimed:
            continue  # another request with this key committed first: replay it
    raise idempotency.AlreadyClaimed("A request with this Idempotency-Key is still in progress")
