"""Retention: what has done its job goes; live data and the history stay (shared.retention)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from shared import booking, idempotency, retention
from shared.accounts import create_api_key
from shared.db import Database
from shared.heartbeat import Heartbeat
from shared.models import (
    Booking,
    BookingEvent,
    Client,
    IdempotencyRecord,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    WorkerHeartbeat,
)
from shared.models.types import pk
from tests.factories import MONDAY, NOW, local

POLICY = retention.RetentionPolicy()  # 48 hours, 90 days, a week
# Long after MONDAY's sessions: their messages are old and the sessions over.
LATER = NOW + timedelta(days=200)


def remember(session: Session, api_key_id: int, key: str, age: timedelta) -> None:
    record = idempotency.claim(session, api_key_id, key, "hash")
    idempotency.complete(session, record, 201, '{"client": {"name": "Eva Horvat"}}')
    record.created_at = LATER - age
    session.flush()


def send_everything(session: Session, sent_at: Any) -> None:
    """As if the worker had sent every message then, with what each said."""
    session.execute(
        update(OutboxMessage).values(
            status=MessageStatus.SENT.value,
            sent_at=sent_at,
            rendered={"method": "REQUEST", "start": "2027-03-01T09:00:00+00:00"},
            last_error="250 accepted for eva@example.com",
            message_id="<m@clinic.example>",
        )
    )


def table_counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: int(session.exec(select(func.count()).select_from(model)).one())
        for model in (Booking, BookingEvent, Client, OutboxMessage)
    }


@pytest.fixture
def world(db: Database, clinic: Any, booker: Callable[..., Booking]) -> dict[str, int]:
    """Two bookings on MONDAY (one moved), their messages sent long ago, one booking far
    ahead whose invitation was sent just as long ago, idempotency records old and fresh, and
    two workers' heartbeats, one silent for weeks."""
    past = booker("10:00", treatment=clinic.consult)
    with db.transaction() as session:
        booking.reschedule(session, past.id, start=local(MONDAY, "11:00"), actor="t", now=NOW)
        send_everything(session, NOW)
    far = MONDAY + timedelta(weeks=50)
    ahead = booker("10:00", day=far, treatment=clinic.consult, client_id=clinic.other_client.id)
    with db.transaction() as session:
        send_everything(session, NOW)  # its invitation too, as long ago
        key, _ = create_api_key(session, "website")
        remember(session, key.id, "old-order", timedelta(hours=49))
        remember(session, key.id, "fresh-order", timedelta(hours=47))
    Heartbeat(db, name="gone:1").beat(LATER - timedelta(days=8))
    Heartbeat(db, name="alive:2").beat(LATER - timedelta(seconds=5))
    return {"past": pk(past.id), "ahead": pk(ahead.id)}


def test_a_dry_run_says_what_would_go_and_changes_nothing(db, world) -> None:
    with db.read() as session:
        before = table_counts(session)

    with db.read() as session:
        report = retention.purge(session, POLICY, LATER, dry_run=True)

    assert (report.idempotency_records, report.worker_heartbeats) == (1, 1)
    assert report.outbox_bodies >= 2  # the past booking's invitation and update
    assert all("would" in line for line in report.lines())
    with db.read() as session:
        assert table_counts(session) == before
        assert session.exec(select(func.count()).select_from(IdempotencyRecord)).one() == 2


def test_purge_deletes_expired_records_and_empties_old_bodies_and_keeps_the_rest(db, world) -> None:
    ids = world
    with db.read() as session:
        before = table_counts(session)
        would = retention.purge(session, POLICY, LATER, dry_run=True)

    with db.transaction() as session:
        report = retention.purge(session, POLICY, LATER)

    assert report.total == would.total > 0
    with db.read() as session:
        assert table_counts(session) == before  # bookings, history, clients, messages: all kept
        keys = session.exec(select(IdempotencyRecord.key)).all()
        assert keys == ["fresh-order"]
        workers = session.exec(select(WorkerHeartbeat.worker)).all()
        assert workers == ["alive:2"]
        past = session.exec(
            select(OutboxMessage).where(OutboxMessage.booking_id == ids["past"])
        ).all()
        assert past and all(m.rendered is None and m.last_error == "" for m in past)
        # the envelope stays for the booking's history
        assert all(m.recipient and m.sent_at and m.message_id for m in past)
        assert {m.kind for m in past} >= {MessageKind.INVITE.value, MessageKind.UPDATE.value}
        ahead = session.exec(
            select(OutboxMessage).where(OutboxMessage.booking_id == ids["ahead"])
        ).all()
        assert ahead and all(m.rendered is not None for m in ahead)  # its session is ahead
        events = session.exec(
            select(BookingEvent.action).where(BookingEvent.booking_id == ids["past"])
        ).all()
        assert sorted(events) == ["booked", "moved"]

    with db.transaction() as session:  # a second run finds nothing more
        assert retention.purge(session, POLICY, LATER).total == 0


def test_pending_messages_keep_their_body_however_old(db, world) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.kind) == MessageKind.UPDATE.value)
            .values(status=MessageStatus.PENDING.value, sent_at=None)
        )

    with db.transaction() as session:
        retention.purge(session, POLICY, LATER)

    with db.read() as session:
        pending = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == MessageStatus.PENDING.value)
        ).all()
        assert pending and all(m.rendered is not None for m in pending)


def test_an_expired_idempotency_key_is_new_again(db) -> None:
    with db.transaction() as session:
        key, _ = create_api_key(session, "website")
        remember(session, key.id, "order-1", timedelta(hours=49))
    expired_before = LATER - POLICY.idempotency

    with db.read() as session:
        assert idempotency.find(session, key.id, "order-1", "hash") is not None
        assert (
            idempotency.find(session, key.id, "order-1", "other", expired_before=expired_before)
            is None
        )
    with db.transaction() as session:
        fresh = idempotency.claim(
            session, key.id, "order-1", "other", expired_before=expired_before
        )
        assert fresh.status_code == idempotency.PENDING_STATUS
