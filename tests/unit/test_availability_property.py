"""find_slots against a brute-force reference on random clinics, DST weeks included."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings

from shared.slots import CalendarData, Treatment, compute_slots
from tests.unit.reference import World, reference_slots
from tests.unit.worlds import describe, worlds


def engine_slots(world: World) -> list[tuple]:
    """The availability engine on the same world, fed as plain data (no database)."""
    data = CalendarData()
    for block in world.blocks:
        data.hours.setdefault(block.therapist_id, []).append(block)
    for off in world.time_off:
        data.time_off.setdefault(off.therapist_id, []).append((off.start, off.end))
    data.closures = [(c.room_id, (c.start, c.end)) for c in world.closures]
    data.bookings = [BusyRowFor(b) for b in world.bookings if b.live]
    slots = compute_slots(
        data,
        tz=ZoneInfo(world.timezone),
        step_minutes=world.step,
        min_notice_minutes=world.notice,
        booking_horizon_days=world.horizon,
        treatment=Treatment(
            timedelta(minutes=world.duration),
            timedelta(minutes=world.before),
            timedelta(minutes=world.after),
        ),
        therapist_ids=world.therapist_ids,
        room_ids=world.room_ids,
        start=world.first,
        end=world.last,
        now=world.now,
    )
    return [(s.start, s.therapist_id, s.end, s.room_id) for s in slots]


def BusyRowFor(b):
    from shared.slots import BusyRow

    return BusyRow(b.therapist_id, b.room_id, b.client_id, b.blocked_start, b.blocked_end)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_slots_match_a_minute_by_minute_reference_on_random_clinics(world):
    expected = reference_slots(world)
    got = engine_slots(world)
    assert got == expected, describe(world)
