"""How the mail queue is doing: messages due and not sent, messages given up on, the longest
wait, and when a worker last finished a round. Index-friendly reads, for every scrape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_
from sqlmodel import Session, col, func, select

from shared.models import MessageKind, MessageStatus, OutboxMessage, WorkerHeartbeat


@dataclass(frozen=True)
class QueueHealth:
    pending: int
    failed: int
    oldest_pending_age_seconds: float
    worker_last_run: datetime | None


def queue_health(session: Session, now: datetime) -> QueueHealth:
    """Three reads: messages waiting (how many, since when), failed ones, the latest heartbeat.

    Waiting: pending and due, or pending and already tried (a retry backs off into the future,
    but the message is late all the same). Since when: a calendar message is due from the
    moment it is written; a reminder from its next attempt (its first due time is not kept).
    """
    due_since = case(
        (col(OutboxMessage.kind) == MessageKind.REMINDER.value, col(OutboxMessage.next_attempt_at)),
        else_=col(OutboxMessage.created_at),
    )
    due_count, oldest_due = session.exec(
        select(func.count(), func.min(due_since)).where(
            OutboxMessage.status == MessageStatus.PENDING.value,
            or_(col(OutboxMessage.next_attempt_at) <= now, col(OutboxMessage.attempts) > 0),
        )
    ).one()
    failed = session.exec(
        select(func.count()).where(OutboxMessage.status == MessageStatus.FAILED.value)
    ).one()
    last_run = session.exec(select(func.max(WorkerHeartbeat.last_run_at))).one()
    oldest = _aware(oldest_due)
    return QueueHealth(
        pending=int(due_count),
        failed=int(failed),
        oldest_pending_age_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        worker_last_run=_aware(last_run),
    )


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates skip the column type: SQLite gives text, PostgreSQL an aware datetime."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
