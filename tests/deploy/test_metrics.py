"""/metrics on the scheduler and the dashboard, read with prometheus-client's own parser.

What an operator's Prometheus sees: requests by route (never by path) and status, bookings
counted once committed, availability timed, and the outbox and workers as the database has them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from services.dashboard import create_app as create_dashboard
from services.scheduler import create_app as create_scheduler
from shared import booking, metrics
from shared.catalog import rotate_feed_token
from shared.db import Database
from shared.heartbeat import Heartbeat
from shared.models import MessageKind, MessageStatus, OutboxMessage
from tests.factories import MONDAY, NOW, local, make_clinic

T0 = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as {(name, sorted labels): value}, parsed by prometheus-client."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(app: Any) -> str:
    response = app.test_client().get("/metrics", buffered=True)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return str(response.get_data(as_text=True))


def book_one(db: Database, at: str = "10:00") -> int:
    with db.transaction() as session:
        clinic = make_clinic(session) if at == "10:00" else None
        client_id = clinic.client.id if clinic else 1
        consult = clinic.consult.id if clinic else 2
        made = booking.book(
            session,
            treatment_type_id=consult,
            start=local(MONDAY, at),
            client_id=client_id,
            actor="test",
            now=NOW,
        )
        return int(made.id)  # type: ignore[arg-type]


def test_requests_are_counted_by_route_and_status_never_by_path(settings, db) -> None:
    with db.transaction() as session:
        clinic = make_clinic(session)
        token = rotate_feed_token(session, clinic.anna)
    app = create_scheduler({"SETTINGS": settings, "DATABASE": db})
    route = "/feeds/<kind>/<token>.ics"
    before = scrape(app)

    http = app.test_client()
    assert http.get(f"/feeds/therapist/{token}.ics", buffered=True).status_code == 200
    assert http.get("/feeds/therapist/not-a-token.ics", buffered=True).status_code == 404
    assert http.get("/no/such/page", buffered=True).status_code == 404
    after = scrape(app)

    def grew(**labels: str) -> float:
        name = "clinic_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    common = {"service": "scheduler", "method": "GET"}
    assert grew(route=route, status="200", **common) == 1
    assert grew(route=route, status="404", **common) == 1
    assert grew(route="unmatched", status="404", **common) == 1
    assert token not in after
    assert value(after, "clinic_http_request_duration_seconds_count", route=route, **common) >= 2


def test_bookings_are_counted_when_committed_and_never_when_rolled_back(settings, db) -> None:
    app = create_scheduler({"SETTINGS": settings, "DATABASE": db})
    before = scrape(app)

    booking_id = book_one(db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        booking.cancel(session, booking_id, actor="test", now=NOW)
        raise RuntimeError("the transaction fails after the cancel")
    with db.transaction() as session:
        booking.reschedule(session, booking_id, start=local(MONDAY, "14:00"), actor="t", now=NOW)
    with db.transaction() as session:
        booking.cancel(session, booking_id, actor="test", now=NOW)
    after = scrape(app)

    def grew(action: str) -> float:
        name = "clinic_bookings_total"
        return value(after, name, action=action) - value(before, name, action=action)

    assert (grew("booked"), grew("moved"), grew("cancelled")) == (1, 1, 1)


def test_availability_searches_are_timed(settings, db) -> None:
    with db.transaction() as session:
        clinic = make_clinic(session)
    app = create_scheduler({"SETTINGS": settings, "DATABASE": db})
    before = value(scrape(app), "clinic_availability_duration_seconds_count")

    response = app.test_client().get(
        "/api/v1/availability",
        query_string={"treatment_type_id": clinic.consult.id, "start": "2027-03-01"}
        | {"end": "2027-03-02"},
        buffered=True,
    )

    assert response.status_code == 200
    assert value(scrape(app), "clinic_availability_duration_seconds_count") == before + 1


def test_outbox_gauges_count_due_and_failed_messages_and_the_oldest_wait(db) -> None:
    book_one(db)  # the client's invitation, due at once
    book_one(db, at="12:00")
    with db.transaction() as session:
        invites = OutboxMessage.kind == MessageKind.INVITE.value  # reminders wait for their time
        session.execute(
            update(OutboxMessage).where(invites).values(next_attempt_at=T0, created_at=T0)
        )
        first = session.get(OutboxMessage, 1)
        assert first is not None
        first.status = MessageStatus.FAILED.value
    text = metrics.render(db, clock=lambda: T0 + timedelta(minutes=10)).decode()

    assert value(text, "clinic_outbox_pending_messages") == 1
    assert value(text, "clinic_outbox_failed_messages") == 1
    assert value(text, "clinic_outbox_oldest_pending_age_seconds") == 600
    assert value(text, "clinic_database_up") == 1
    # a message due later (a reminder waiting for its time) is not pending yet
    later = metrics.render(db, clock=lambda: T0 - timedelta(minutes=1)).decode()
    assert value(later, "clinic_outbox_pending_messages") == 0
    assert value(later, "clinic_outbox_oldest_pending_age_seconds") == 0


def test_a_message_backing_off_between_retries_still_waits_since_it_was_written(db) -> None:
    book_one(db)
    with db.transaction() as session:
        invites = OutboxMessage.kind == MessageKind.INVITE.value
        retrying = {"created_at": T0, "next_attempt_at": T0 + timedelta(hours=1), "attempts": 3}
        session.execute(update(OutboxMessage).where(invites).values(**retrying))

    text = metrics.render(db, clock=lambda: T0 + timedelta(minutes=10)).decode()

    assert value(text, "clinic_outbox_pending_messages") == 1
    assert value(text, "clinic_outbox_oldest_pending_age_seconds") == 600


def test_the_workers_last_round_is_the_latest_heartbeat(db) -> None:
    assert "clinic_worker_last_run_timestamp_seconds" not in metrics.render(db).decode()
    Heartbeat(db, name="host-a:1").beat(T0)
    Heartbeat(db, name="host-b:2").beat(T0 + timedelta(seconds=30))

    text = metrics.render(db).decode()

    latest = (T0 + timedelta(seconds=30)).timestamp()
    assert value(text, "clinic_worker_last_run_timestamp_seconds") == latest


def test_a_scrape_with_the_database_down_still_answers_and_says_so(settings) -> None:
    app = create_scheduler({"SETTINGS": settings, "DATABASE": Database(UNREACHABLE)})

    text = scrape(app)

    assert value(text, "clinic_database_up") == 0
    assert "clinic_outbox_pending_messages" not in text


def test_the_dashboard_serves_metrics_and_health_without_a_log_in(settings, db) -> None:
    app = create_dashboard({"SETTINGS": settings, "DATABASE": db})
    http = app.test_client()
    http.get("/login", buffered=True)

    text = scrape(app)

    common = {"service": "dashboard", "method": "GET"}
    assert value(text, "clinic_http_requests_total", route="/login", status="200", **common) >= 1
    assert http.get("/readyz").status_code == 200


def test_dashboard_liveness_does_not_touch_the_database_and_readiness_does(settings) -> None:
    app = create_dashboard({"SETTINGS": settings, "DATABASE": Database(UNREACHABLE)})
    http = app.test_client()

    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 503
