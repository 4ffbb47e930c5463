"""Holds against real gunicorn workers on SQLite and PostgreSQL: the booking page and the
receptionist's API racing for one time leave one session, a held time is refused to the API
with the hold named, a confirmation link pressed many times at once books once, and one
e-mail address asking for many times at once gets at most three holds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlmodel import col, select

from shared import catalog, holds
from shared.accounts import create_api_key
from shared.models import Booking, BookingEvent, MessageKind, OutboxMessage, TreatmentType
from tests.e2e.processes import gunicorn, service_env
from tests.factories import MONDAY, local, make_clinic

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("gunicorn")]

EACH = 8  # page requests and API requests, all at once


@pytest.fixture
def online(db):
    with db.transaction() as session:
        clinic = make_clinic(session, online_booking=True)
        session.get(TreatmentType, clinic.facial.id).online_booking = True
        _, key = create_api_key(session, "reception")
    return clinic, key


def _now() -> datetime:
    return datetime.now(UTC)


def test_the_page_and_the_api_racing_for_one_time_leave_one_session_and_name_the_hold(
    database_url, db, online
):
    clinic, key = online
    start = local(MONDAY, "11:00")
    barrier = threading.Barrier(2 * EACH)

    def page(i: int) -> tuple[str, int, str]:
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)
            barrier.wait()
            answer = http.post(
                f"{base}/book/details",
                params={
                    "treatment": clinic.facial.id,
                    "therapist": "any",
                    "start": start.isoformat(),
                },
                data={
                    "name": f"Web {i}",
                    "email": f"web{i}@example.com",
                    "consent": "yes",
                },
                allow_redirects=False,
                timeout=60,
            )
        return "page", answer.status_code, answer.text

    def api(i: int) -> tuple[str, int, str]:
        body = {
            "treatment_type_id": clinic.facial.id,
            "start": start.isoformat(),
            "client": {"name": f"Phone {i}", "email": f"phone{i}@example.com"},
        }
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)
            barrier.wait()
            answer = http.post(
                f"{base}/api/v1/bookings",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
        return "api", answer.status_code, answer.text

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4) as base,
        ThreadPoolExecutor(2 * EACH) as pool,
    ):
        futures = [pool.submit(page, i) for i in range(EACH)]
        futures += [pool.submit(api, i) for i in range(EACH)]
        answers = [f.result() for f in futures]

    won = [(who, status) for who, status, _ in answers if status in (201, 303)]
    assert len(won) == 1, answers
    assert all(status in (409, 201, 303) for _, status, _ in answers), answers
    with db.read() as session:
        live = session.exec(select(Booking).where(col(Booking.status) != "cancelled")).all()
    assert len(live) == 1
    winner = live[0]
    if won[0][0] == "page":
        assert winner.status == "held"
        refused_api = [text for who, status, text in answers if who == "api" and status == 409]
        assert refused_api and all("held" in text for text in refused_api)
    else:
        assert winner.status == "booked"


def test_one_address_asking_for_many_times_at_once_gets_three_holds_and_the_rest_429(
    database_url, db, online
):
    """From as many network addresses (a proxy in front names each), so that only the
    e-mail address's limit can refuse them."""
    clinic, _ = online
    starts = [
        local(MONDAY + timedelta(days=day), at).isoformat()
        for day in range(EACH // 2)
        for at in ("09:15", "13:00")
    ]
    barrier = threading.Barrier(EACH)

    def ask(i: int) -> tuple[int, str]:
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)
            barrier.wait()
            answer = http.post(
                f"{base}/book/details",
                params={"treatment": clinic.facial.id, "therapist": "any", "start": starts[i]},
                data={"name": "Nina Kos", "email": "nina@example.com", "consent": "yes"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                allow_redirects=False,
                timeout=60,
            )
        return answer.status_code, answer.text

    env = service_env(database_url, TRUSTED_PROXY_HOPS="1")
    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4, env=env) as base,
        ThreadPoolExecutor(EACH) as pool,
    ):
        answers = list(pool.map(ask, range(EACH)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [303] * holds.MAX_OPEN_HOLDS + [429] * (EACH - holds.MAX_OPEN_HOLDS)
    refused = [text for status, text in answers if status == 429]
    assert all("already 3 appointments waiting for confirmation" in t for t in refused)
    with db.read() as session:
        held = session.exec(select(Booking).where(col(Booking.status) == "held")).all()
    assert len(held) == holds.MAX_OPEN_HOLDS
    assert len({b.client_id for b in held}) == 1


def test_a_receptionist_booking_a_held_time_through_the_api_hears_whose_hold_it_is(
    database_url, db, online
):
    clinic, key = online
    with db.transaction() as session:
        hold = holds.hold(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="client (booking page)",
            now=_now(),
        )
    with gunicorn("services.scheduler:create_app()", database_url, workers=2) as base:
        answer = requests.post(
            f"{base}/api/v1/bookings",
            json={
                "treatment_type_id": clinic.facial.id,
                "therapist_id": clinic.anna.id,
                "start": local(MONDAY, "10:30").isoformat(),
                "client_id": clinic.other_client.id,
            },
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    assert answer.status_code == 409
    message = answer.json()["error"]["message"]
    assert "Anna Novak is held Mon 01.03.2027 10:00-11:00" in message
    assert "booked online for Eva H., awaiting confirmation until" in message
    with db.read() as session:
        assert session.get(Booking, hold.id).status == "held"
        assert len(session.exec(select(Booking)).all()) == 1


def test_a_confirmation_pressed_many_times_at_once_books_once(database_url, db, online):
    clinic, _ = online
    with db.transaction() as session:
        catalog.configure_clinic(session, hold_minutes=60)
        hold = holds.hold(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="client (booking page)",
            now=_now(),
        )
    barrier = threading.Barrier(EACH)

    def press(_: int) -> int:
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)
            barrier.wait()
            answer = http.post(
                f"{base}/book/confirm/{hold.hold_token}", allow_redirects=False, timeout=60
            )
        return answer.status_code

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4) as base,
        ThreadPoolExecutor(EACH) as pool,
    ):
        statuses = list(pool.map(press, range(EACH)))

    assert statuses == [303] * EACH
    with db.read() as session:
        assert session.get(Booking, hold.id).status == "booked"
        confirmed = session.exec(
            select(BookingEvent).where(
                BookingEvent.booking_id == hold.id, BookingEvent.action == "confirmed"
            )
        ).all()
        invites = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == hold.id,
                OutboxMessage.kind == MessageKind.INVITE.value,
            )
        ).all()
    assert len(confirmed) == 1
    assert [m.recipient for m in invites] == ["eva@example.com"]
