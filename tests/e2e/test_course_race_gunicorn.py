"""A course and single bookings racing for the same times, through a real gunicorn with several
workers: the course is written whole or not at all, and nothing ever overlaps."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import combinations

import pytest
import requests
from sqlmodel import select

from shared import catalog
from shared.accounts import create_api_key
from shared.models import Booking, Course
from tests.e2e.processes import gunicorn
from tests.factories import MONDAY, TZ, local, make_clinic

SESSIONS = 10
SINGLES = 5  # single bookings racing the course in each round
ROUNDS = 4

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("gunicorn")]


def test_a_course_racing_single_bookings_is_booked_whole_or_not_at_all_and_nothing_overlaps(
    database_url, db
):
    with db.transaction() as session:
        clinic = make_clinic(session)
        catalog.configure_clinic(session, course_horizon_weeks=104)
        _, key = create_api_key(session, "race")
    headers = {"Authorization": f"Bearer {key}"}
    outcomes: list[tuple[int, list[int]]] = []

    with gunicorn("services.scheduler:create_app()", database_url, workers=4) as base:
        for round_no in range(ROUNDS):
            # Each round its own hour (10:00, 12:00, ...), so rounds never meet; the contested
            # session moves from the first to the last.
            hour = f"{10 + 2 * round_no}:00"
            starts = [
                local(MONDAY + timedelta(weeks=w), hour).astimezone(TZ).isoformat()
                for w in range(SESSIONS)
            ]
            contested = starts[[0, 4, 9, 6][round_no]]
            barrier = threading.Barrier(SINGLES + 1)

            def course(starts: list[str] = starts, barrier: threading.Barrier = barrier) -> int:
                body = {
                    "treatment_type_id": clinic.facial.id,
                    "client_id": clinic.client.id,
                    "sessions": [{"start": s} for s in starts],
                }
                with requests.Session() as http:
                    http.get(f"{base}/healthz", timeout=10)
                    barrier.wait()
                    return http.post(
                        f"{base}/api/v1/courses", json=body, headers=headers, timeout=60
                    ).status_code

            def single(
                i: int,
                contested: str = contested,
                barrier: threading.Barrier = barrier,
                round_no: int = round_no,
            ) -> int:
                body = {
                    "treatment_type_id": clinic.facial.id,
                    "start": contested,
                    "client": {"name": f"Client {i}", "email": f"r{round_no}c{i}@example.com"},
                }
                with requests.Session() as http:
                    http.get(f"{base}/healthz", timeout=10)
                    barrier.wait()
                    return http.post(
                        f"{base}/api/v1/bookings", json=body, headers=headers, timeout=60
                    ).status_code

            with ThreadPoolExecutor(SINGLES + 1) as pool:
                course_status = pool.submit(course)
                singles = list(pool.map(single, range(SINGLES)))
            outcomes.append((course_status.result(), singles))

    with db.read() as session:
        courses = session.exec(select(Course)).all()
        live = session.exec(select(Booking).where(Booking.status != "cancelled")).all()
    for course_status, singles in outcomes:
        assert course_status in (201, 409)
        if course_status == 201:
            assert singles == [409] * SINGLES  # the course holds the contested time
        else:
            assert sorted(singles) == [201] + [409] * (SINGLES - 1)
    won = sum(status == 201 for status, _ in outcomes)
    assert len(courses) == won
    for course in courses:  # every course written is whole
        assert sum(b.course_id == course.id for b in live) == SESSIONS
    assert sum(b.course_id is None for b in live) == ROUNDS - won
    for a, b in combinations(live, 2):  # and nobody is booked twice at once
        if a.blocked_start < b.blocked_end and b.blocked_start < a.blocked_end:
            assert a.therapist_id != b.therapist_id
            assert a.room_id != b.room_id
            assert a.client_id != b.client_id
