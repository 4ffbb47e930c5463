"""Hypothesis strategies for random clinics, biased towards the weeks when clocks change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import strategies as st

from tests.unit.reference import Away, Block, Booked, Closed, World, naive_minute, to_instant

# Zones and the dates their clocks change in 2027 (spring and autumn).
ZONES = {
    "Europe/Ljubljana": (date(2027, 3, 28), date(2027, 10, 31)),
    "America/New_York": (date(2027, 3, 14), date(2027, 11, 7)),
    "Australia/Lord_Howe": (date(2027, 4, 4), date(2027, 10, 3)),  # a 30-minute shift
    "UTC": (date(2027, 6, 1), date(2027, 12, 1)),
}
# 5-minute marks of a day (00:00 to 23:55), often in the small hours when clocks change.
MARKS = st.one_of(st.integers(0, 287), st.integers(18, 42))
STATUSES = ("booked", "booked", "booked", "cancelled", "completed", "no_show")


def _overlaps(a: Booked, b: Booked) -> bool:
    return a.blocked_start < b.blocked_end and b.blocked_start < a.blocked_end


@st.composite
def worlds(draw: st.DrawFn, *, max_days: int = 3) -> World:
    timezone = draw(st.sampled_from(["Europe/Ljubljana"] * 4 + sorted(ZONES)))
    anchor = draw(
        st.one_of(
            st.sampled_from(ZONES[timezone]),
            st.dates(date(2027, 1, 1), date(2027, 12, 31)),
        )
    )
    first = anchor + timedelta(days=draw(st.integers(-2, 1)))
    last = first + timedelta(days=draw(st.integers(0, max_days - 1)))
    base = naive_minute(first)  # minutes; about local midnight of the first day
    span = (last - first).days + 1

    def instant(lo_days: float, hi_days: float, step: int = 5) -> datetime:
        m = draw(st.integers(int(lo_days * 1440) // step, int(hi_days * 1440) // step))
        return to_instant(base + m * step)

    # Mostly before the range (the usual question), sometimes inside or after it.
    now = instant(-2, 0.5, step=1) if draw(st.integers(0, 3)) else instant(-3, span, step=1)
    therapist_count = draw(st.integers(1, 3))
    room_count = draw(st.integers(1, 3))
    world = World(
        timezone=timezone,
        step=draw(st.sampled_from((5, 10, 15, 20, 30, 60))),
        notice=draw(st.one_of(st.just(0), st.integers(0, 600))),
        horizon=draw(st.integers(1, 10)),
        duration=draw(st.integers(1, 24)) * 5,
        before=draw(st.integers(0, 6)) * 5,
        after=draw(st.integers(0, 6)) * 5,
        first=first,
        last=last,
        now=now,
        # The first therapist and room can always serve; the others may be inactive or lack
        # the skill or the equipment.
        therapists={
            t: (t == 1 or draw(st.booleans()), t == 1 or draw(st.booleans()))
            for t in range(1, therapist_count + 1)
        },
        rooms={
            r: (r == 1 or draw(st.booleans()), r == 1 or draw(st.booleans()))
            for r in range(1, room_count + 1)
        },
    )

    dates = [first + timedelta(days=d) for d in range(-2, span + 2)]
    weekdays = sorted({d.weekday() for d in dates[1:-1]})  # those that can matter
    for t in world.therapists:
        for weekday in weekdays:
            # Disjoint blocks from sorted distinct 5-minute marks (00:00 to 23:55), in pairs;
            # nights are included on purpose: that is when the clocks change.
            marks = sorted(draw(st.sets(MARKS, min_size=2 if t == 1 else 0, max_size=4)))
            for a, b in zip(marks[::2], marks[1::2], strict=False):
                valid_from = valid_to = None
                if draw(st.integers(0, 3)) == 0:
                    valid_from = draw(st.one_of(st.none(), st.sampled_from(dates)))
                    valid_to = draw(st.one_of(st.none(), st.sampled_from(dates)))
                    if valid_from and valid_to and valid_to < valid_from:
                        valid_from, valid_to = valid_to, valid_from
                world.blocks.append(
                    Block(
                        t,
                        weekday,
                        time(a // 12, a % 12 * 5),
                        time(b // 12, b % 12 * 5),
                        valid_from,
                        valid_to,
                    )
                )
        for _ in range(draw(st.integers(0, 2))):
            start = instant(-1, span + 1)
            world.time_off.append(
                Away(t, start, start + timedelta(minutes=draw(st.integers(1, 120)) * 5))
            )
    for _ in range(draw(st.integers(0, 2))):
        start = instant(-1, span + 1)
        room = draw(st.one_of(st.none(), st.sampled_from(sorted(world.rooms))))
        world.closures.append(
            Closed(room, start, start + timedelta(minutes=draw(st.integers(1, 120)) * 5))
        )
    for _ in range(draw(st.integers(0, 10))):
        booked = Booked(
            therapist_id=draw(st.sampled_from(sorted(world.therapists))),
            room_id=draw(st.sampled_from(sorted(world.rooms))),
            client_id=draw(st.sampled_from(world.clients)),
            start=instant(-1, span + 1),
            minutes=draw(st.integers(1, 24)) * 5,
            before=draw(st.integers(0, 6)) * 5,
            after=draw(st.integers(0, 6)) * 5,
            status=draw(st.sampled_from(STATUSES)),
        )
        # Keep the world possible: live bookings never overlap (the database refuses that).
        clash = any(
            other.live
            and _overlaps(booked, other)
            and (
                booked.therapist_id == other.therapist_id
                or booked.room_id == other.room_id
                or booked.client_id == other.client_id
            )
            for other in world.bookings
        )
        if not (booked.live and clash):
            world.bookings.append(booked)
    return world


def describe(world: World) -> str:
    """A short summary for failure messages."""
    return (
        f"{world.timezone} {world.first}..{world.last} now={world.now:%Y-%m-%d %H:%M}Z "
        f"step={world.step} notice={world.notice} horizon={world.horizon} "
        f"treatment={world.before}+{world.duration}+{world.after}"
    )
