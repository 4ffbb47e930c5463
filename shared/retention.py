"""What is kept, and for how long: data that has done its job is deleted or emptied.

- `idempotency_record`: a retried request's remembered answer (with the client's name,
  e-mail and phone) is deleted once it has expired (IDEMPOTENCY_HOURS, 48 by default).
- `outbox_message`: a message sent (or given up, or skipped) long ago, about a session that is
  over, keeps its envelope (who, what kind, when, status, Message-ID) for the booking's history
  but loses its body: what it said (`rendered`) and the server's last answer (`last_error`,
  which may quote the address), after OUTBOX_BODY_DAYS (90 by default).
- `worker_heartbeat`: a worker not heard of for a week is forgotten.

Bookings, their history (`booking_event`), clients and the catalog are never purged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, cast, delete, exists, func, not_, null, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from shared.config import Settings
from shared.models import (
    Booking,
    IdempotencyRecord,
    MessageStatus,
    OutboxMessage,
    WorkerHeartbeat,
)

_FINISHED = (MessageStatus.SENT.value, MessageStatus.FAILED.value, MessageStatus.SKIPPED.value)


@dataclass(frozen=True)
class RetentionPolicy:
    idempotency: timedelta = timedelta(hours=48)
    outbox_body: timedelta = timedelta(days=90)
    heartbeat: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(
            idempotency=timedelta(hours=settings.idempotency_hours),
            outbox_body=timedelta(days=settings.outbox_body_days),
        )


@dataclass(frozen=True)
class PurgeReport:
    """How many rows went (or would go, in a dry run), per table."""

    idempotency_records: int
    outbox_bodies: int
    worker_heartbeats: int
    dry_run: bool = False

    def lines(self) -> Iterator[str]:
        verb = "would" if self.dry_run else "did"
        yield f"idempotency_record: {self.idempotency_records} expired records {verb} go"
        yield (
            f"outbox_message: {self.outbox_bodies} old messages {verb} lose their body "
            "(their envelope stays)"
        )
        yield f"worker_heartbeat: {self.worker_heartbeats} silent workers {verb} be forgotten"

    @property
    def total(self) -> int:
        return self.idempotency_records + self.outbox_bodies + self.worker_heartbeats


def purge(
    session: Session, policy: RetentionPolicy, now: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Delete or empty what the policy says has done its job; count only when `dry_run`."""
    idempotency = col(IdempotencyRecord.created_at) < now - policy.idempotency
    heartbeat = col(WorkerHeartbeat.last_run_at) < now - policy.heartbeat
    bodies = _outbox_bodies_due(now - policy.outbox_body)
    report = PurgeReport(
        idempotency_records=_count(session, IdempotencyRecord, idempotency),
        outbox_bodies=_count(session, OutboxMessage, bodies),
        worker_heartbeats=_count(session, WorkerHeartbeat, heartbeat),
        dry_run=dry_run,
    )
    if dry_run:
        return report
    if report.idempotency_records:
        session.execute(delete(IdempotencyRecord).where(idempotency))
    if report.outbox_bodies:
        session.execute(
            update(OutboxMessage)
            .where(bodies)
            .values(rendered=null(), last_error="")
            .execution_options(synchronize_session=False)
        )
    if report.worker_heartbeats:
        session.execute(delete(WorkerHeartbeat).where(heartbeat))
    return report


def _outbox_bodies_due(cutoff: datetime) -> ColumnElement[bool]:
    """Finished before `cutoff`, still holding a body, about sessions all over by then."""
    later_session = (
        select(col(Booking.id))
        .where(
            or_(
                col(Booking.id) == col(OutboxMessage.booking_id),
                and_(
                    col(OutboxMessage.course_id).is_not(None),
                    col(Booking.course_id) == col(OutboxMessage.course_id),
                ),
            ),
            col(Booking.end_at) >= cutoff,
        )
        .correlate(OutboxMessage)
    )
    return and_(
        col(OutboxMessage.status).in_(_FINISHED),
        func.coalesce(col(OutboxMessage.sent_at), col(OutboxMessage.created_at)) < cutoff,
        # a JSON column holds JSON's null for None: compare the text, SQL NULL stays false
        or_(cast(col(OutboxMessage.rendered), Text) != "null", col(OutboxMessage.last_error) != ""),
        not_(exists(later_session)),
    )


def _count(session: Session, model: Any, condition: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(model).where(condition)
    return int(session.execute(query).scalar_one())
