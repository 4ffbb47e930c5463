"""shared/ical.py without a database: VTIMEZONE transitions, event properties, folding, escaping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from shared import ical
from shared.models import Booking, Client, Clinic, Room, Therapist, TreatmentType

SPAN = (datetime(2026, 9, 26, tzinfo=UTC), datetime(2027, 11, 25, tzinfo=UTC))


def make_booking(**overrides: object) -> Booking:
    start = overrides.pop("start", datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    assert isinstance(start, datetime)
    booking = Booking(
        id=7,
        uid="b7@clinic-scheduler",
        treatment_type_id=1,
        therapist_id=1,
        room_id=1,
        client_id=1,
        start_at=start,
        end_at=start + timedelta(hours=1),
        blocked_start=start,
        blocked_end=start + timedelta(hours=1),
        sequence=3,
        access_token="token",
        created_at=datetime(2027, 2, 1, 10, tzinfo=UTC),
        updated_at=datetime(2027, 2, 3, 11, 30, tzinfo=UTC),
        notes="Prefers the window open",
    )
    booking.treatment_type = TreatmentType(name="Facial rejuvenation", duration_minutes=60)
    booking.therapist = Therapist(name="Ægir Li", email="aegir@clinic.example")
    booking.room = Room(name="Room 1")
    booking.client = Client(name="Žiga Kranjc", phone="+386 40 123 456")
    for key, value in overrides.items():
        setattr(booking, key, value)
    return booking


def make_clinic(**overrides: object) -> Clinic:
    values: dict[str, object] = {
        "name": "Lotus TCM",
        "address": "Trubarjeva 1, Ljubljana",
        "phone": "+386 1 000 00 00",
        "timezone": "Europe/Ljubljana",
    }
    values.update(overrides)
    return Clinic(**values)


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Ljubljana",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Shanghai",
        "Pacific/Chatham",
        "Africa/Casablanca",
        "Europe/Dublin",
        "UTC",
    ],
)
def test_vtimezone_gives_the_zones_offset_at_every_hour_of_the_span(zone: str) -> None:
    tz = ZoneInfo(zone)
    text = icalendar.Timezone.from_ical(ical.vtimezone(tz, *SPAN).to_ical())
    parsed = text.to_tz()
    instant = SPAN[0]
    while instant < SPAN[1]:
        wall = instant.astimezone(tz).replace(tzinfo=None)
        if instant.astimezone(tz).fold == 0 and wall.replace(tzinfo=tz).astimezone(UTC) == instant:
            assert wall.replace(tzinfo=parsed).astimezone(UTC) == instant, (zone, wall)
        instant += timedelta(hours=1)


def test_vtimezone_writes_regular_dst_changes_as_yearly_rules_starting_at_the_local_onset() -> None:
    out = ical.vtimezone(ZoneInfo("Europe/Ljubljana"), *SPAN).to_ical().decode()
    assert "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\n" in out
    assert "RRULE:FREQ=YEARLY;UNTIL=20270328T010000Z;BYDAY=-1SU;BYMONTH=3" in out
    assert "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\n" in out
    assert "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100" in out


def test_an_event_carries_uid_sequence_stamps_and_local_times_with_tzid() -> None:
    booking = make_booking()
    event = ical.booking_event(booking, make_clinic(), audience="therapist")
    out = event.to_ical().decode()
    assert "UID:b7@clinic-scheduler\r\n" in out
    assert "SEQUENCE:3\r\n" in out
    assert "DTSTAMP:20270203T113000Z\r\n" in out
    assert "LAST-MODIFIED:20270203T113000Z\r\n" in out
    assert "DTSTART;TZID=Europe/Ljubljana:20270329T100000\r\n" in out  # CEST, after the change
    assert "DTEND;TZID=Europe/Ljubljana:20270329T110000\r\n" in out
    assert "STATUS:CONFIRMED\r\n" in out
    assert event.get("summary") == "Facial rejuvenation · Žiga · Room 1"
    assert event.get("location") == "Room 1, Lotus TCM, Trubarjeva 1, Ljubljana"


def test_an_invitation_can_stamp_the_time_the_message_was_made() -> None:
    stamp = datetime(2027, 2, 4, 8, 0, tzinfo=UTC)
    event = ical.booking_event(make_booking(), make_clinic(), audience="client", dtstamp=stamp)
    assert stamp == event.DTSTAMP


def test_staff_see_only_the_clients_first_name_unless_the_clinic_allows_details() -> None:
    booking = make_booking()
    private = ical.booking_event(booking, make_clinic(), audience="therapist").to_ical().decode()
    unfolded = private.replace("\r\n ", "")
    assert "Kranjc" not in unfolded and "+386 40" not in unfolded
    assert "window open" not in unfolded
    detailed = ical.booking_event(
        booking, make_clinic(feed_shows_client_details=True), audience="therapist"
    )
    text = detailed.to_ical().decode().replace("\r\n ", "")
    assert detailed.get("summary") == "Facial rejuvenation · Žiga Kranjc · Room 1"
    assert "+386 40 123 456" in text and "window open" in text


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("therapist", "Facial rejuvenation · Žiga · Room 1"),
        ("room", "Facial rejuvenation · Žiga · Ægir Li"),
        ("clinic", "Facial rejuvenation · Žiga · Ægir Li · Room 1"),
        ("client", "Facial rejuvenation with Ægir Li"),
    ],
)
def test_each_audience_reads_its_own_summary(audience: str, expected: str) -> None:
    event = ical.booking_event(make_booking(), make_clinic(), audience=audience)
    assert event.get("summary") == expected


def test_the_clients_event_names_no_client_and_is_not_marked_private() -> None:
    event = ical.booking_event(make_booking(), make_clinic(), audience="client")
    text = event.to_ical().decode().replace("\r\n ", "")
    assert "Žiga" not in text and "CLASS:" not in text


def test_an_unknown_audience_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        ical.booking_event(make_booking(), make_clinic(), audience="public")


def test_a_cancelled_booking_is_status_cancelled_and_frees_the_time() -> None:
    booking = make_booking(status="cancelled", cancelled_at=datetime(2027, 2, 5, tzinfo=UTC))
    event = ical.booking_event(booking, make_clinic(), audience="therapist")
    assert event.get("status") == "CANCELLED"
    assert event.get("transp") == "TRANSPARENT"
    assert event.get("summary").startswith("Cancelled: ")


def test_commas_semicolons_and_backslashes_are_escaped_and_read_back_intact(
    icaljs: Callable[[bytes], dict[str, Any]],
) -> None:
    name = r"Cupping, moxa; and \ more"
    booking = make_booking()
    booking.treatment_type = TreatmentType(name=name, duration_minutes=60)
    clinic = make_clinic(address=r"Trubarjeva 1; 2nd floor, \ Ljubljana")
    cal = ical.calendar([ical.booking_event(booking, clinic, audience="clinic")], clinic, name="X")
    raw = ical.to_bytes(cal).decode()
    assert r"Cupping\, moxa\; and \\ more" in raw
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert str(event.get("summary")).startswith(name)
    js = icaljs(raw.encode())["events"][0]
    assert js["summary"] == str(event.get("summary"))
    assert js["location"] == str(event.get("location"))
    assert str(event.get("location")).endswith(r"Trubarjeva 1; 2nd floor, \ Ljubljana")


def test_long_non_ascii_lines_fold_at_75_octets_between_characters_with_crlf(
    icaljs: Callable[[bytes], dict[str, Any]],
) -> None:
    booking = make_booking(notes="李Ægir Žiga " * 40)
    clinic = make_clinic(feed_shows_client_details=True)
    event = ical.booking_event(booking, clinic, audience="therapist")
    cal = ical.calendar([event], clinic, name="李")
    raw = ical.to_bytes(cal)
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert any(line.startswith(b" ") for line in lines)
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # no line ends or starts inside a character
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert "李Ægir Žiga " * 40 in str(event.get("description"))
    assert icaljs(raw)["events"][0]["description"] == str(event.get("description"))


def test_a_calendar_has_prodid_version_names_and_the_clinic_zone() -> None:
    clinic = make_clinic()
    cal = ical.calendar(
        [ical.booking_event(make_booking(), clinic, audience="therapist")],
        clinic,
        name="Ægir's sessions",
    )
    raw = ical.to_bytes(cal).decode()
    assert raw.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    for line in (
        "NAME:Ægir's sessions",
        "X-WR-CALNAME:Ægir's sessions",
        "X-WR-TIMEZONE:Europe/Ljubljana",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Ljubljana",
    ):
        assert line in raw
    assert "METHOD" not in raw
    invitation = ical.calendar([], clinic, name="Invitation", method="request")
    assert "METHOD:REQUEST" in ical.to_bytes(invitation).decode()


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Ljubljana",
        "America/New_York",
        "Australia/Sydney",
        "Africa/Casablanca",
        "Europe/Dublin",
        "Pacific/Chatham",
        "UTC",
    ],
)
def test_icaljs_reads_every_event_of_a_year_at_its_instant_through_the_vtimezone(
    zone: str, icaljs: Callable[[bytes], dict[str, Any]]
) -> None:
    tz = ZoneInfo(zone)
    clinic = make_clinic(timezone=zone)
    bookings = []
    instant = SPAN[0]
    while instant < SPAN[1]:
        local = instant.astimezone(tz)
        if local.fold == 0 and local.replace(tzinfo=None).replace(tzinfo=tz) == local:
            bookings.append(make_booking(start=instant, uid=f"{len(bookings)}@x"))
        instant += timedelta(hours=7, minutes=13)
    events = [ical.booking_event(b, clinic, audience="clinic") for b in bookings]
    cal = ical.calendar(events, clinic, name="zones", span=SPAN)
    read = icaljs(ical.to_bytes(cal))
    starts = {e["uid"]: e["start"] for e in read["events"]}
    assert len(starts) == len(bookings) > 1000
    for b in bookings:
        assert datetime.fromisoformat(starts[b.uid].replace("Z", "+00:00")) == b.start_at, b.uid


@pytest.mark.parametrize("invisible", ["\u2028", "\u2029", "\x85", "\x0b", "\x1b"], ids=ascii)
def test_line_separators_and_control_characters_in_old_rows_never_reach_a_feed(
    invisible: str,
) -> None:
    """Names refuse them now; a row stored before (or imported past the rules) may hold them."""
    booking = make_booking(notes=f"Window{invisible}open", cancel_reason="")
    booking.client = Client(name=f"Žiga{invisible}Kranjc", phone="+386 40 123 456")
    booking.therapist = Therapist(name=f"Ægir{invisible}Li", email="aegir@clinic.example")
    booking.room = Room(name=f"Room{invisible}1")
    clinic = make_clinic(name=f"Lotus{invisible}TCM", feed_shows_client_details=True)
    for audience in ical.AUDIENCES:
        text = "\r\n".join(ical.event_lines(booking, clinic, audience=audience))
        assert invisible not in text
        assert "ŽigaKranjc" in text or audience == "client"
