"""The calendar around a feed's events: its name, description and refresh interval."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import icalendar

from shared import ical
from shared.feed_window import WINDOW_AHEAD, WINDOW_PAST, window
from shared.feeds import Feed
from shared.models import Booking, Clinic

REFRESH = timedelta(minutes=15)
END = b"END:VCALENDAR\r\n"


def calendar_name(feed: Feed, clinic: Clinic) -> str:
    if feed.kind == "therapist":
        return f"{feed.name} · {clinic.name}"
    if feed.kind == "room":
        return f"{feed.name} · {clinic.name}"
    if feed.kind == "clinic":
        return f"{clinic.name} · all sessions"
    return clinic.name


def audience(feed: Feed) -> str:
    """Whom the events are written for (a booking's feed is the client's)."""
    return "client" if feed.kind == "booking" else feed.kind


def head(feed: Feed, clinic: Clinic, rows: Sequence[Booking], now: datetime) -> bytes:
    """The calendar's bytes up to its first event (the events and `END` follow)."""
    if feed.kind == "booking":
        span = (rows[0].start_at, rows[0].end_at) if rows else (now, now)
        cal = ical.calendar(
            [], clinic, name=calendar_name(feed, clinic), method="PUBLISH", span=span
        )
    else:
        lo, hi = window(now)
        span = (lo - timedelta(days=1), hi + timedelta(days=2))
        cal = ical.calendar([], clinic, name=calendar_name(feed, clinic), span=span)
        cal.add("x-wr-caldesc", _caldesc(feed, clinic))
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH).to_ical().decode())
    raw = ical.to_bytes(cal)
    assert raw.endswith(END)
    return raw[: -len(END)]


def _caldesc(feed: Feed, clinic: Clinic) -> str:
    whose = {
        "therapist": f"Sessions of {feed.name}",
        "room": f"Sessions in {feed.name}",
        "clinic": "All sessions",
    }[feed.kind]
    return (
        f"{whose} at {clinic.name}: the last {WINDOW_PAST.days} days and the next "
        f"{WINDOW_AHEAD.days}. Private link: do not share it."
    )
