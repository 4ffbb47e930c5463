"""Fixtures for the feed tests: the scheduler app, a clinic, bookings around the real clock, and
a reader that parses every feed with `icalendar` and with Mozilla's ical.js (Node) and checks
that the two agree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared import booking as rules
from shared import clinic_time
from shared.config import Settings
from shared.db import Database
from shared.models import Booking
from shared.models.types import utcnow
from tests.factories import TZ, Clinic, make_clinic
from tests.node_packages import npm_ci

ICALJS = Path(__file__).parent / "icaljs"


# -- the parsers ---------------------------------------------------------------------------------


def _install_icaljs() -> None:
    npm_ci(ICALJS, "ical.js")


@pytest.fixture(scope="session")
def icaljs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], dict[str, Any]]:
    """Parse one iCalendar document with ical.js; skipped only where Node or npm is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to read feeds with ical.js (apt-get install npm)")
    _install_icaljs()
    folder = tmp_path_factory.mktemp("icaljs")
    counter = iter(range(1_000_000))

    def read(body: bytes) -> dict[str, Any]:
        path = folder / f"feed{next(counter)}.ics"
        path.write_bytes(body)
        done = subprocess.run(
            ["node", str(ICALJS / "read.mjs"), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"ical.js could not read the feed:\n{done.stderr}"
        result: dict[str, Any] = json.loads(done.stdout)[0]
        return result

    return read


@dataclass
class ReadEvent:
    """One event as both parsers read it (they are checked to agree)."""

    uid: str
    sequence: int
    summary: str
    description: str
    location: str
    status: str
    start: datetime  # UTC
    end: datetime
    tzid: str
    local_start: str
    raw: icalendar.Event


@dataclass
class ReadFeed:
    calendar: icalendar.Calendar
    js: dict[str, Any]
    events: dict[str, ReadEvent]  # by UID


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def read_both(body: bytes, icaljs: Callable[[bytes], dict[str, Any]]) -> ReadFeed:
    """Parse with icalendar and ical.js; every event must read the same in both."""
    cal = icalendar.Calendar.from_ical(body)
    js = icaljs(body)
    py_events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    js_events = {e["uid"]: e for e in js["events"]}
    assert set(py_events) == set(js_events)
    events = {}
    for uid, e in py_events.items():
        j = js_events[uid]
        start = e.DTSTART.astimezone(UTC)
        end = e.DTEND.astimezone(UTC)
        assert _utc(j["start"]) == start, (uid, j["start"], start)
        assert _utc(j["end"]) == end
        assert j["zone"] == j["tzid"] == e["DTSTART"].params["TZID"]
        assert j["sequence"] == int(e["SEQUENCE"])
        for key in ("summary", "description", "location", "status"):
            assert j[key] == str(e[key.upper()]), key
        events[uid] = ReadEvent(
            uid=uid,
            sequence=j["sequence"],
            summary=j["summary"],
            description=j["description"],
            location=j["location"],
            status=j["status"],
            start=start,
            end=end,
            tzid=j["tzid"],
            local_start=j["local_start"],
            raw=e,
        )
    return ReadFeed(cal, js, events)


# -- the app and the clinic --------------------------------------------------------------------


@pytest.fixture
def app(settings: Settings, db: Database) -> Flask:
    from services.scheduler import create_app

    return create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clinic(db: Database) -> Clinic:
    with db.transaction() as session:
        return make_clinic(session)


@dataclass
class Fetch:
    """GET a feed through the app; a 200 is parsed by both parsers (see `read_both`)."""

    client: FlaskClient
    icaljs: Callable[[bytes], dict[str, Any]]

    def __call__(self, url: str, **headers: str) -> Any:
        path = url.split("://", 1)[-1].split("/", 1)[1]
        response = self.client.get("/" + path, headers=headers)
        response.feed = None
        if response.status_code == 200:
            response.feed = read_both(response.data, self.icaljs)
        return response


@pytest.fixture
def fetch(client: FlaskClient, icaljs: Callable[[bytes], dict[str, Any]]) -> Fetch:
    return Fetch(client, icaljs)


def weekday_on_or_after(day: date, weekday: int = 0) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, hhmm: str) -> datetime:
    return clinic_time.local_to_utc(day, time.fromisoformat(hhmm), TZ)


def book(
    db: Database,
    c: Clinic,
    start: datetime,
    *,
    therapist: str = "anna",
    treatment: str = "facial",
    client: Any = None,
    notes: str = "",
    booked_at: datetime | None = None,
) -> Booking:
    """Book through the domain rules, 'booked' three days before the session by default."""
    with db.transaction() as session:
        return rules.book(
            session,
            treatment_type_id=getattr(c, treatment).id,
            start=start,
            client_id=(client or c.client).id,
            therapist_id=getattr(c, therapist).id,
            actor="test",
            notes=notes,
            now=booked_at or start - timedelta(days=3),
        )


def soon(weeks: int = 2, weekday: int = 0) -> date:
    """A weekday some weeks after today: inside every feed's window whenever the tests run."""
    return weekday_on_or_after(utcnow().date() + timedelta(weeks=weeks), weekday)


@pytest.fixture
def some_bookings(db: Database, clinic: Clinic) -> Iterator[dict[str, Booking]]:
    monday = soon()
    yield {
        "anna_facial": book(db, clinic, at(monday, "10:00")),
        "anna_consult": book(
            db, clinic, at(monday, "14:00"), treatment="consult", client=clinic.other_client
        ),
        "boris_consult": book(
            db, clinic, at(monday, "09:00"), therapist="boris", treatment="consult"
        ),
    }
