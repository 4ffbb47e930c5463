"""Waiting-list offers against real gunicorn workers on SQLite and PostgreSQL: the receptionist
booking an offered time hears to whom it is offered and until when, even when her requests race
the worker's round that makes the offer (one of them has the time, never both), and "Take it"
pressed many times at once books once."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from sqlmodel import col, select

from shared import clinic_time, offers
from shared.accounts import create_api_key
from shared.db import Database
from shared.models import (
    Booking,
    BookingEvent,
    MessageKind,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.e2e.processes import gunicorn
from tests.factories import TZ, make_clinic
from tests.waiting import fill_monday, free_one, join_three

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("gunicorn")]

EACH = 8  # requests at once


@pytest.fixture
def waiting(db):
    """A full Monday, Mia, Nina and Olga waiting for a morning, one session cancelled."""
    with db.transaction() as session:
        clinic = make_clinic(session)
        _, key = create_api_key(session, "reception")
    monday = fill_monday(db, clinic)
    entries = join_three(db, clinic)
    start = free_one(db, monday)
    return clinic, key, entries, start


def _now() -> datetime:
    return datetime.now(UTC)


def _round(db: Database) -> offers.Round:
    with db.transaction() as session:
        return offers.match(session, now=_now())


def _book(base: str, key: str, clinic, start: datetime, i: int) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/bookings",
        json={
            "treatment_type_id": clinic.facial.id,
            "start": start.isoformat(),
            "client": {"name": f"Phone {i}", "email": f"phone{i}@example.com"},
        },
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_the_receptionist_booking_an_offered_time_hears_to_whom_and_until_when(
    database_url, db, waiting
):
    clinic, key, entries, start = waiting
    (made,) = _round(db).offered
    lapses = made.expires_at.astimezone(TZ)  # today, the offered time weeks ahead
    until = f"{lapses:%a %d.%m.} {clinic_time.hm(made.expires_at, TZ)}"
    with gunicorn("services.scheduler:create_app()", database_url, workers=2) as base:
        answer = _book(base, key, clinic, start, 0)
    assert answer.status_code == 409
    assert f"offered to Mia K. until {until}" in answer.json()["error"]["message"]
    with db.read() as session:
        assert session.get(Booking, made.booking_id).status == "held"
        assert session.get(WaitlistEntry, entries[0]).status == "offered"


def test_bookings_racing_the_workers_round_for_a_freed_time_leave_it_to_one(
    database_url, db, waiting
):
    clinic, key, _, start = waiting
    barrier = threading.Barrier(EACH + 2)

    def desk(i: int) -> tuple[int, str]:
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)
            barrier.wait()
            answer = _book(base, key, clinic, start, i)
        return answer.status_code, answer.text

    def worker(_: int) -> offers.Round:  # two workers' rounds at once, from this process
        barrier.wait()
        return _round(db)

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4) as base,
        ThreadPoolExecutor(EACH + 2) as pool,
    ):
        desks = [pool.submit(desk, i) for i in range(EACH)]
        rounds = [pool.submit(worker, i) for i in range(2)]
        answers = [f.result() for f in desks]
        made = [o for f in rounds for o in f.result().offered]

    booked = [text for status, text in answers if status == 201]
    assert all(status in (201, 409) for status, _ in answers), answers
    assert len(booked) + len(made) == 1, (answers, made)  # one of them has the time
    with db.read() as session:
        live = session.exec(
            select(Booking).where(col(Booking.status) != "cancelled", Booking.start_at == start)
        ).all()
        open_offers = session.exec(select(WaitlistOffer)).all()
    assert len(live) == 1
    if made:
        assert live[0].status == "held" and len(open_offers) == 1
        refused = [text for status, text in answers if status == 409]
        assert all("offered to Mia K." in text for text in refused), refused
    else:
        assert live[0].status == "booked" and open_offers == []


def test_take_it_pressed_many_times_at_once_books_once(database_url, db, waiting):
    _, _, entries, start = waiting
    (made,) = _round(db).offered
    barrier = threading.Barrier(EACH)

    def press(_: int) -> int:
        with requests.Session() as http:
            page = http.get(f"{base}/book/offer/{made.token}", timeout=10).text
            form = re.search(r'action="([^"]+/take)">\s*<input[^>]+value="([^"]+)"', page)
            assert form, page
            barrier.wait()
            answer = http.post(
                f"{base}{form.group(1)}",
                data={"form_token": form.group(2)},
                allow_redirects=False,
                timeout=60,
            )
        return answer.status_code

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4) as base,
        ThreadPoolExecutor(EACH) as pool,
    ):
        statuses = list(pool.map(press, range(EACH)))

    assert statuses == [303] * EACH
    with db.read() as session:
        hold = session.get(Booking, made.booking_id)
        assert (hold.status, hold.start_at) == ("booked", start)
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
        entry = session.get(WaitlistEntry, entries[0])
    assert len(confirmed) == 1
    assert [m.recipient for m in invites] == ["mia@example.com"]
    assert (entry.status, entry.booking_id) == ("booked", hold.id)
