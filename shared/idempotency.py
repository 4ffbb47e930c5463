"""Idempotency keys: a retried request returns the first response instead of acting twice.

The key is claimed at the start of the caller's transaction (a unique row), so two concurrent
requests with one key can never both act: the second waits for the first and then replays it.
A record expires (IDEMPOTENCY_HOURS, 48 by default): after that its key is new again, and the
worker's purge (shared.retention) deletes it with the client data its response holds.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.errors import Conflict, IdempotencyMismatch, InvalidInput
from shared.models import IdempotencyRecord

PENDING_STATUS = 0


class AlreadyClaimed(Conflict):
    """Another request with this key committed first: replay its response."""

    code = "idempotency_key_in_use"


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > 200 or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1-200 printable characters", field="Idempotency-Key"
        )
    return key


def find(
    session: Session,
    api_key_id: int,
    key: str,
    request_hash: str,
    *,
    expired_before: datetime | None = None,
) -> IdempotencyRecord | None:
    """The finished, unexpired record for this key, if any (one made before `expired_before`
    counts as none). Raises IdempotencyMismatch for another body."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None or record.status_code == PENDING_STATUS:
        return None
    if expired_before is not None and record.created_at < expired_before:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyMismatch(
            "This Idempotency-Key was already used with a different request",
            field="Idempotency-Key",
        )
    return record


def claim(
    session: Session,
    api_key_id: int,
    key: str,
    request_hash: str,
    *,
    expired_before: datetime | None = None,
) -> IdempotencyRecord:
    """Insert the key's row first thing in the transaction, in place of an expired one.
    Raises AlreadyClaimed."""
    if expired_before is not None:
        session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.api_key_id) == api_key_id,
                col(IdempotencyRecord.key) == key,
                col(IdempotencyRecord.created_at) < expired_before,
            )
        )
    record = IdempotencyRecord(
        api_key_id=api_key_id,
        key=key,
        request_hash=request_hash,
        status_code=PENDING_STATUS,
        response_body="",
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        raise AlreadyClaimed("A request with this Idempotency-Key was just made") from None
    return record


def complete(session: Session, record: IdempotencyRecord, status: int, body: str) -> None:
    record.status_code = status
    record.response_body = body
    session.flush()
