"""iCalendar (RFC 5545) objects for bookings: one VEVENT per session, a VTIMEZONE that matches.

Used by the subscription feeds (no METHOD) and by e-mail invitations (METHOD:REQUEST/CANCEL).
Every event carries the booking's UID (it never changes) and SEQUENCE (it grows with every
change), DTSTART/DTEND in the clinic's zone with a VTIMEZONE that has the real DST transitions
of the span, so a calendar program shows the same wall-clock time as the clinic.

Personal data: staff audiences see the client's first name only, unless the clinic has
`feed_shows_client_details` on; then the full name, phone and the booking's notes too.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar

from shared.models import Booking, BookingStatus, Clinic
from shared.models.types import utcnow

PRODID = "-//clinic-scheduler//Clinic Scheduler//EN"
Audience = Literal["therapist", "room", "clinic", "client"]
AUDIENCES: tuple[str, ...] = ("therapist", "room", "clinic", "client")
SEP = " · "
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# -- VTIMEZONE -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Transition:
    at: datetime  # UTC instant of the change
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


def _state(tz: ZoneInfo, instant: datetime) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(tz)
    return (
        local.utcoffset() or timedelta(0),
        local.tzname() or "",
        bool(local.dst()),
    )


@lru_cache(maxsize=64)
def _transitions(key: str, first: date, last: date) -> tuple[_Transition, ...]:
    """Every change of offset/name in the zone between two dates (UTC), to the second."""
    tz = ZoneInfo(key)
    out: list[_Transition] = []
    cur = datetime(first.year, first.month, first.day, tzinfo=UTC)
    stop = datetime(last.year, last.month, last.day, tzinfo=UTC)
    step = timedelta(hours=12)
    before = _state(tz, cur)
    while cur < stop:
        nxt = min(cur + step, stop)
        after = _state(tz, nxt)
        if after != before:
            lo, hi = cur, nxt  # state(lo) == before, state(hi) != before
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if _state(tz, mid) == before:
                    lo = mid
                else:
                    hi = mid
            changed = _state(tz, hi)
            out.append(_Transition(hi, before[0], changed[0], changed[1], changed[2]))
            before = changed
            cur = hi
            continue
        cur = nxt
    return tuple(out)


def _yearly_rule(onsets: list[datetime]) -> dict[str, object] | None:
    """An RRULE for local onsets in consecutive years on the same n-th/last weekday, if any."""
    if len(onsets) < 2:
        return None
    first = onsets[0]
    for i, onset in enumerate(onsets):
        if (
            onset.year != first.year + i
            or onset.month != first.month
            or onset.weekday() != first.weekday()
            or onset.time() != first.time()
        ):
            return None
    day = _WEEKDAYS[first.weekday()]
    if all(o.day + 7 > _calendar.monthrange(o.year, o.month)[1] for o in onsets):
        byday = f"-1{day}"
    elif len({(o.day - 1) // 7 for o in onsets}) == 1 and (first.day - 1) // 7 < 4:
        byday = f"{(first.day - 1) // 7 + 1}{day}"
    else:
        return None
    return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": byday}


def vtimezone(tz: ZoneInfo, start: datetime, end: datetime) -> icalendar.Timezone:
    """A VTIMEZONE for `tz` whose observances cover [start, end] with the zone's real transitions.

    The observance in force at `start` begins at the zone's previous transition; regular yearly
    changes (e.g. the last Sunday of March) are written as an RRULE, which every calendar program
    understands (Outlook reads no RDATE), irregular ones as RDATE. Each DTSTART is the local time
    of the change in the offset before it, as RFC 5545 says.
    """
    if end < start:
        start, end = end, start
    look_back = (start - timedelta(days=400)).date()
    changes = _transitions(tz.key, look_back, (end + timedelta(days=2)).date())
    in_span = [t for t in changes if t.at > start]
    earlier = [t for t in changes if t.at <= start]
    if earlier:
        in_span.insert(0, earlier[-1])

    component = icalendar.Timezone()
    component.add("tzid", tz.key)
    component.add("x-lic-location", tz.key)
    if not in_span:
        offset, name, is_dst = _state(tz, start)
        sub = icalendar.TimezoneDaylight() if is_dst else icalendar.TimezoneStandard()
        sub.add("dtstart", datetime(1970, 1, 1))
        sub.add("tzoffsetfrom", offset)
        sub.add("tzoffsetto", offset)
        sub.add("tzname", name or tz.key)
        component.add_component(sub)
        return component

    groups: dict[tuple[timedelta, timedelta, str, bool], list[_Transition]] = {}
    for change in in_span:
        key = (change.offset_from, change.offset_to, change.name, change.is_dst)
        groups.setdefault(key, []).append(change)
    for (offset_from, offset_to, name, is_dst), group in sorted(
        groups.items(), key=lambda item: item[1][0].at
    ):
        onsets = [(t.at + offset_from).replace(tzinfo=None) for t in group]
        sub = icalendar.TimezoneDaylight() if is_dst else icalendar.TimezoneStandard()
        sub.add("dtstart", onsets[0])
        sub.add("tzoffsetfrom", offset_from)
        sub.add("tzoffsetto", offset_to)
        sub.add("tzname", name or tz.key)
        rule = _yearly_rule(onsets)
        if rule is not None:
            rule["UNTIL"] = group[-1].at
            sub.add("rrule", rule)
        else:
            # Every onset, the first too: RFC 5545 counts DTSTART anyway, but some readers
            # (ical.js) take only the RDATEs once there are any.
            for onset in onsets:
                sub.add("rdate", onset)
        component.add_component(sub)
    return component


# -- VEVENT ------------------------------------------------------------------------------------


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz)


def _clinic_place(clinic: Clinic) -> str:
    return ", ".join(part for part in (clinic.name, clinic.address) if part)


def _client_label(booking: Booking, clinic: Clinic) -> str:
    client = booking.client
    if client is None:
        return ""
    return client.name if clinic.feed_shows_client_details else client.first_name


def summary(booking: Booking, clinic: Clinic, audience: str) -> str:
    """What a reader sees at a glance in a calendar's week view."""
    treatment = booking.treatment_type.name if booking.treatment_type else "Session"
    therapist = booking.therapist.name if booking.therapist else ""
    room = booking.room.name if booking.room else ""
    client = _client_label(booking, clinic)
    if audience == "client":
        parts = [f"{treatment} with {therapist}" if therapist else treatment]
    elif audience == "therapist":
        parts = [treatment, client, room]
    elif audience == "room":
        parts = [treatment, client, therapist]
    else:
        parts = [treatment, client, therapist, room]
    text = SEP.join(p for p in parts if p)
    if booking.status == BookingStatus.CANCELLED.value:
        text = f"Cancelled: {text}"
    return text


def location(booking: Booking, clinic: Clinic) -> str:
    room = booking.room.name if booking.room else ""
    return ", ".join(part for part in (room, _clinic_place(clinic)) if part)


def description(booking: Booking, clinic: Clinic, audience: str) -> str:
    """The details: who, where, when in the clinic's time, and for staff the booking's state."""
    tz = ZoneInfo(clinic.timezone)
    start, end = _local(booking.start_at, tz), _local(booking.end_at, tz)
    when = f"{start:%a %d %b %Y, %H:%M}-{end:%H:%M} ({clinic.timezone})"
    treatment = booking.treatment_type.name if booking.treatment_type else "Session"
    therapist = booking.therapist.name if booking.therapist else ""
    room = booking.room.name if booking.room else ""
    lines: list[str] = []
    cancelled = booking.status == BookingStatus.CANCELLED.value
    if audience == "client":
        if cancelled:
            lines.append("This appointment was cancelled.")
        lines.append(f"{treatment} with {therapist}" if therapist else treatment)
        lines.append(f"When: {when}")
        lines.append(f"Where: {location(booking, clinic)}")
        if clinic.phone:
            lines.append(f"To change or cancel, call {clinic.phone}.")
        return "\n".join(lines)

    client = booking.client
    if client is not None:
        if clinic.feed_shows_client_details:
            detail = ", ".join(p for p in (client.name, client.phone) if p)
        else:
            detail = client.first_name
        lines.append(f"Client: {detail}")
    lines.append(f"Treatment: {treatment}")
    if therapist:
        lines.append(f"Therapist: {therapist}")
    if room:
        lines.append(f"Room: {room}")
    lines.append(f"When: {when}")
    status = {"booked": "booked", "cancelled": "CANCELLED", "completed": "completed"}.get(
        booking.status, booking.status.replace("_", " ")
    )
    lines.append(f"Status: {status}")
    if clinic.feed_shows_client_details:
        if booking.notes:
            lines.append(f"Notes: {booking.notes}")
        if cancelled and booking.cancel_reason:
            lines.append(f"Cancellation reason: {booking.cancel_reason}")
    lines.append(f"Booking #{booking.id}")
    return "\n".join(lines)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


# Control characters (C0 but tab and line breaks, DEL, C1 such as U+0085) and Unicode line and
# paragraph separators: names refuse them now, rows stored before may still hold them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: bytes) -> bytes:
    """Fold one content line at 75 octets: never inside a UTF-8 character or an escape."""
    if len(line) <= 75:
        return line
    parts: list[bytes] = []
    start, limit = 0, 75
    while len(line) - start > limit:
        cut = start + limit
        while line[cut] & 0xC0 == 0x80:  # a continuation byte: back to the character's start
            cut -= 1
        run, i = 0, cut - 1
        while i > start and line[i] == 0x5C:  # an odd run of backslashes opens an escape
            run, i = run + 1, i - 1
        if run % 2:
            cut -= 1
        parts.append(line[start:cut])
        start, limit = cut, 74  # a continuation line begins with a space
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def event_lines(
    booking: Booking,
    clinic: Clinic,
    *,
    audience: str,
    dtstamp: datetime | None = None,
) -> list[str]:
    """The VEVENT's unfolded content lines (see `booking_event`). Raises ValueError."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")
    tz = ZoneInfo(clinic.timezone)
    cancelled = booking.status == BookingStatus.CANCELLED.value
    tzid = tz.key
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(booking.uid)}",
        f"SEQUENCE:{int(booking.sequence)}",
        f"DTSTAMP:{_utc_stamp(dtstamp or booking.updated_at)}",
        f"CREATED:{_utc_stamp(booking.created_at)}",
        f"LAST-MODIFIED:{_utc_stamp(booking.updated_at)}",
        f"DTSTART;TZID={tzid}:{booking.start_at.astimezone(tz):%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tzid}:{booking.end_at.astimezone(tz):%Y%m%dT%H%M%S}",
        f"SUMMARY:{_text(summary(booking, clinic, audience))}",
        f"LOCATION:{_text(location(booking, clinic))}",
        f"DESCRIPTION:{_text(description(booking, clinic, audience))}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"TRANSP:{'TRANSPARENT' if cancelled else 'OPAQUE'}",
    ]
    if audience != "client":
        lines.append("CLASS:PRIVATE")
        if booking.treatment_type is not None:
            lines.append(f"CATEGORIES:{_text(booking.treatment_type.name)}")
    lines.append("END:VEVENT")
    return lines


def event_bytes(
    booking: Booking,
    clinic: Clinic,
    *,
    audience: str,
    dtstamp: datetime | None = None,
) -> bytes:
    """The VEVENT as folded CRLF bytes, written directly (a feed has thousands of them)."""
    lines = event_lines(booking, clinic, audience=audience, dtstamp=dtstamp)
    return b"\r\n".join([_fold(line.encode()) for line in lines]) + b"\r\n"


def booking_event(
    booking: Booking,
    clinic: Clinic,
    *,
    audience: str,
    dtstamp: datetime | None = None,
) -> icalendar.Event:
    """One VEVENT for a booking, as `audience` ("therapist", "room", "clinic", "client") sees it.

    UID is the booking's (never changes), SEQUENCE grows with each change, DTSTART/DTEND are
    in the clinic's zone with its TZID, SUMMARY/LOCATION/DESCRIPTION are written for the
    audience (staff see the client's first name unless the clinic shows details), STATUS is
    CONFIRMED or CANCELLED. `booking` needs its treatment_type, therapist, room and client
    loaded. DTSTAMP defaults to the booking's last change (right for a published feed, and
    stable, so a feed's bytes do not change between requests); an invitation (METHOD) passes
    the time the message is made. The event is parsed from `event_bytes`, so both agree.
    Raises ValueError for an unknown audience.
    """
    raw = event_bytes(booking, clinic, audience=audience, dtstamp=dtstamp)
    return icalendar.Event.from_ical(raw)  # type: ignore[return-value]


# -- VCALENDAR --------------------------------------------------------------------------------


def calendar(
    events: Iterable[icalendar.Event],
    clinic: Clinic,
    *,
    name: str,
    method: str | None = None,
    span: tuple[datetime, datetime] | None = None,
) -> icalendar.Calendar:
    """A VCALENDAR holding `events` and the clinic zone's VTIMEZONE.

    The VTIMEZONE covers `span` (default: the events' own start and end); `name` becomes NAME
    and X-WR-CALNAME, and the zone X-WR-TIMEZONE. `method` ("REQUEST", "CANCEL", ...) is for
    iTIP messages such as e-mail invitations; a subscription feed has none.
    """
    tz = ZoneInfo(clinic.timezone)
    events = list(events)
    if span is None:
        instants: list[datetime] = []
        for event in events:
            for when in (event.DTSTART, event.DTEND):
                if isinstance(when, datetime):
                    instants.append(when)
        if not instants:
            instants = [utcnow()]
        span = (min(instants), max(instants))
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method.upper())
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    cal.add_component(vtimezone(tz, span[0], span[1]))
    for event in events:
        cal.add_component(event)
    return cal


def to_bytes(cal: icalendar.Calendar) -> bytes:
    """The calendar as RFC 5545 bytes: UTF-8, CRLF line ends, lines folded at 75 octets.

    Folding happens between characters, never inside a UTF-8 sequence or a backslash escape.
    """
    return cal.to_ical()
