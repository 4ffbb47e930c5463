"""Real HTTP to a real gunicorn with several workers: many clients, one slot, one winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlmodel import select

from shared.accounts import create_api_key
from shared.models import Booking
from tests.e2e.processes import gunicorn
from tests.factories import MONDAY, local, make_clinic

ATTEMPTS = 24

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("gunicorn")]


def test_concurrent_posts_for_one_slot_give_exactly_one_201_and_the_rest_409(database_url, db):
    with db.transaction() as session:
        clinic = make_clinic(session)
        _, key = create_api_key(session, "race")
    start = local(MONDAY, "11:00").isoformat()
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(i: int) -> int:
        body = {
            "treatment_type_id": clinic.facial.id,
            "start": start,
            "client": {"name": f"Client {i}", "email": f"client{i}@example.com"},
        }
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)  # connect before the start line
            barrier.wait()
            response = http.post(
                f"{base}/api/v1/bookings",
                json=body,
                timeout=60,
                headers={"Authorization": f"Bearer {key}"},
            )
        return response.status_code

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=4) as base,
        ThreadPoolExecutor(ATTEMPTS) as pool,
    ):
        statuses = list(pool.map(attempt, range(ATTEMPTS)))

    assert sorted(statuses) == [201] + [409] * (ATTEMPTS - 1)
    with db.read() as session:
        live = session.exec(select(Booking).where(Booking.status == "booked")).all()
    assert len(live) == 1
