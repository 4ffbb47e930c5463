"""The availability endpoint writes its JSON itself; it must be what pydantic would write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.presenters import slots, slots_json
from services.scheduler.schemas import Slots
from shared.slots import Slot

ZONES = ["Europe/Ljubljana", "Europe/London", "Asia/Kathmandu", "America/St_Johns", "UTC"]
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@st.composite
def slot_lists(draw):
    out = []
    for start in draw(st.lists(instants, max_size=30)):
        minutes = draw(st.integers(5, 600))
        ids = draw(st.tuples(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1)))
        out.append(Slot(start, ids[0], start + timedelta(minutes=minutes), ids[1]))
    return sorted(out)


@settings(max_examples=200, deadline=None)
@given(slot_lists(), st.sampled_from(ZONES))
def test_slots_json_is_byte_for_byte_what_the_response_model_writes(found, zone):
    tz = ZoneInfo(zone)
    assert slots_json(found, tz) == slots(found, tz).model_dump_json()


def test_slots_json_validates_as_the_documented_response_and_keeps_the_clinics_offset():
    tz = ZoneInfo("Europe/Ljubljana")
    # 31 Oct 2027: clocks go back at 03:00, so 02:30 happens twice (+02:00, then +01:00).
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    found = [
        Slot(first, 1, first + timedelta(hours=1), 2),
        Slot(first + timedelta(hours=1), 1, first + timedelta(hours=2), 2),
    ]
    parsed = Slots.model_validate_json(slots_json(found, tz))
    assert [s.start.isoformat() for s in parsed.slots] == [
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T02:30:00+01:00",
    ]
    assert [s.start for s in parsed.slots] == [s.start for s in found]
    assert slots_json([], tz) == '{"slots":[]}'


def test_a_zero_offset_is_written_as_z_like_every_other_response():
    london_winter = datetime(2027, 1, 4, 9, tzinfo=UTC)
    text = slots_json(
        [Slot(london_winter, 1, london_winter + timedelta(hours=1), 1)], ZoneInfo("Europe/London")
    )
    assert '"start":"2027-01-04T09:00:00Z"' in text
