"""A slow, obviously right model of availability: minute by minute over the clinic's wall clock.

It shares no code with `shared.slots` or `shared.clinic_time`: every rule is restated
here on integer minutes since the epoch, so the property tests compare two independent
readings of the same rules:

- a slot starts on the grid: its local wall-clock minute is a multiple of the step;
- its local date lies in the asked range; it starts after `now`, at least the notice ahead,
  and before the horizon;
- the session itself lies inside the therapist's working time: the weekly blocks valid that
  date (a block runs from the first moment the clocks show its start until the first moment
  they show its end) less the therapist's time off;
- the session with its buffers overlaps none of the therapist's live bookings (with theirs),
  nor a closure of the whole clinic;
- some active room with the needed features is free of live bookings and closures for the
  buffered interval; of those, the one leaving the fewest free minutes around it that local
  day is chosen (ties: the lowest id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_OFFSET = 15 * 60  # minutes; no zone is further than this from UTC


def to_minute(instant: datetime) -> int:
    return int((instant - EPOCH).total_seconds() // 60)


def to_instant(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def naive_minute(day: date, at: time = time(0)) -> int:
    """The wall-clock reading as if it were UTC: a fixed point near the real instant."""
    return to_minute(datetime.combine(day, at, tzinfo=UTC))


@dataclass(frozen=True)
class Block:
    """A weekly working block (the same attributes as shared.models.WorkingHours)."""

    therapist_id: int
    weekday: int
    start_time: time
    end_time: time
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class Booked:
    therapist_id: int
    room_id: int
    client_id: int
    start: datetime
    minutes: int
    before: int
    after: int
    status: str = "booked"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def blocked_start(self) -> datetime:
        return self.start - timedelta(minutes=self.before)

    @property
    def blocked_end(self) -> datetime:
        return self.end + timedelta(minutes=self.after)

    @property
    def live(self) -> bool:
        return self.status != "cancelled"


@dataclass(frozen=True)
class Away:
    therapist_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Closed:
    room_id: int | None  # None: the whole clinic
    start: datetime
    end: datetime


@dataclass
class World:
    """A random clinic, one treatment type, and a question: slots on local dates first..last."""

    timezone: str
    step: int
    notice: int  # minutes
    horizon: int  # days
    duration: int
    before: int
    after: int
    first: date
    last: date
    now: datetime
    therapists: dict[int, tuple[bool, bool]]  # id: (active, gives the treatment)
    rooms: dict[int, tuple[bool, bool]]  # id: (active, has the features it needs)
    blocks: list[Block] = field(default_factory=list)
    time_off: list[Away] = field(default_factory=list)
    closures: list[Closed] = field(default_factory=list)
    bookings: list[Booked] = field(default_factory=list)
    clients: tuple[int, ...] = (1, 2, 3, 4)

    @property
    def therapist_ids(self) -> list[int]:
        return sorted(t for t, (active, gives) in self.therapists.items() if active and gives)

    @property
    def room_ids(self) -> list[int]:
        return sorted(r for r, (active, fits) in self.rooms.items() if active and fits)


class Clock:
    """The local wall-clock reading of every minute in a window, as a naive minute number."""

    def __init__(self, tz: ZoneInfo, lo: int, hi: int) -> None:
        self.lo = lo

        def offset(m: int) -> int:
            return int(datetime.fromtimestamp(m * 60, tz).utcoffset().total_seconds()) // 60

        # Ask zoneinfo every quarter hour, and every minute around a change of offset
        # (no zone changes its offset twice within a quarter of an hour).
        self.offsets: list[int] = []
        for q in range(lo, hi, 15):
            here, there = offset(q), offset(min(q + 15, hi))
            for m in range(q, min(q + 15, hi)):
                self.offsets.append(here if here == there else offset(m))

    def wall(self, minute: int) -> int:
        return minute + self.offsets[minute - self.lo]

    def first_showing(self, day: date, at: time) -> int:
        """The first minute at which the clocks show `day` `at` or later."""
        target = naive_minute(day, at)
        m = max(self.lo, target - MAX_OFFSET)  # every earlier minute shows less
        while self.wall(m) < target:
            m += 1
        return m


class Minutes:
    """A set of minutes in a window with O(1) "any of [a, b)" questions (prefix sums)."""

    def __init__(self, lo: int, hi: int) -> None:
        self.lo = lo
        self.flags = [0] * (hi - lo)
        self._sums: list[int] | None = None
        self._run_cache: tuple[list[int], list[int]] | None = None

    def add(self, a: int, b: int) -> None:
        for m in range(max(a, self.lo), min(b, self.lo + len(self.flags))):
            self.flags[m - self.lo] = 1
        self._sums = self._run_cache = None

    def remove(self, a: int, b: int) -> None:
        for m in range(max(a, self.lo), min(b, self.lo + len(self.flags))):
            self.flags[m - self.lo] = 0
        self._sums = self._run_cache = None

    def count(self, a: int, b: int) -> int:
        if self._sums is None:
            self._sums = [0, *accumulate(self.flags)]
        return self._sums[b - self.lo] - self._sums[a - self.lo]

    def all(self, a: int, b: int) -> bool:
        return self.count(a, b) == b - a

    def none(self, a: int, b: int) -> bool:
        return self.count(a, b) == 0

    def free_run_before(self, m: int, floor: int) -> int:
        """Free minutes just before m, not counting those before `floor`."""
        return max(0, min(self._runs()[0][m - self.lo], m - floor))

    def free_run_after(self, m: int, ceiling: int) -> int:
        """Free minutes from m on, not counting those from `ceiling` on."""
        return max(0, min(self._runs()[1][m - self.lo], ceiling - m))

    def _runs(self) -> tuple[list[int], list[int]]:
        # left[i]: free minutes ending just before i; right[i]: free minutes starting at i.
        if self._run_cache is None:
            n = len(self.flags)
            left, right = [0] * (n + 1), [0] * (n + 1)
            for i in range(1, n + 1):
                left[i] = 0 if self.flags[i - 1] else left[i - 1] + 1
            for i in range(n - 1, -1, -1):
                right[i] = 0 if self.flags[i] else right[i + 1] + 1
            self._run_cache = (left, right)
        return self._run_cache


def reference_slots(world: World) -> list[tuple[datetime, int, datetime, int]]:
    """Every (start, therapist, end, room) the rules allow, minute by minute."""
    tz = ZoneInfo(world.timezone)
    lo = naive_minute(world.first - timedelta(days=2)) - MAX_OFFSET
    hi = naive_minute(world.last + timedelta(days=3)) + MAX_OFFSET
    clock = Clock(tz, lo, hi)

    working: dict[int, Minutes] = {}
    t_busy: dict[int, Minutes] = {}
    for t in world.therapist_ids:
        present = working[t] = Minutes(lo, hi)
        day = world.first - timedelta(days=1)
        while day <= world.last + timedelta(days=1):
            for b in world.blocks:
                if b.therapist_id != t or b.weekday != day.weekday():
                    continue
                if (b.valid_from and day < b.valid_from) or (b.valid_to and day > b.valid_to):
                    continue
                present.add(
                    clock.first_showing(day, b.start_time), clock.first_showing(day, b.end_time)
                )
            day += timedelta(days=1)
        for off in world.time_off:
            if off.therapist_id == t:
                present.remove(to_minute(off.start), to_minute(off.end))
        t_busy[t] = Minutes(lo, hi)
    r_busy = {r: Minutes(lo, hi) for r in world.room_ids}
    for bk in world.bookings:
        if not bk.live:
            continue
        span = (to_minute(bk.blocked_start), to_minute(bk.blocked_end))
        if bk.therapist_id in t_busy:
            t_busy[bk.therapist_id].add(*span)
        if bk.room_id in r_busy:
            r_busy[bk.room_id].add(*span)
    for c in world.closures:
        span = (to_minute(c.start), to_minute(c.end))
        if c.room_id is None:
            for busy in [*t_busy.values(), *r_busy.values()]:
                busy.add(*span)
        elif c.room_id in r_busy:
            r_busy[c.room_id].add(*span)

    now = to_minute(world.now)
    earliest = to_minute(world.now + timedelta(minutes=world.notice))
    latest = to_minute(world.now + timedelta(days=world.horizon))  # exclusive
    day_bounds: dict[date, tuple[int, int]] = {}

    def bounds(day: date) -> tuple[int, int]:
        if day not in day_bounds:
            day_bounds[day] = (
                clock.first_showing(day, time(0)),
                clock.first_showing(day + timedelta(days=1), time(0)),
            )
        return day_bounds[day]

    first_day, last_day = naive_minute(world.first) // 1440, naive_minute(world.last) // 1440
    out = []
    for m in range(
        naive_minute(world.first) - MAX_OFFSET, naive_minute(world.last) + 1440 + MAX_OFFSET
    ):
        wall = clock.wall(m)
        if not first_day <= wall // 1440 <= last_day or wall % world.step:
            continue
        if not (m > now and m >= earliest and m < latest):
            continue
        end = m + world.duration
        b_start, b_end = m - world.before, end + world.after
        day_lo, day_hi = bounds(EPOCH.date() + timedelta(days=clock.wall(b_start) // 1440))
        for t in world.therapist_ids:
            if not working[t].all(m, end) or not t_busy[t].none(b_start, b_end):
                continue
            best: tuple[int, int] | None = None
            for r in world.room_ids:
                busy = r_busy[r]
                if not busy.none(b_start, b_end):
                    continue
                waste = busy.free_run_before(b_start, day_lo) + busy.free_run_after(b_end, day_hi)
                if best is None or (waste, r) < best:
                    best = (waste, r)
            if best is not None:
                out.append((to_instant(m), t, to_instant(end), best[1]))
    return sorted(out)


def merged_minutes(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Helper for interval tests: the set of minutes as sorted maximal runs."""
    points = sorted({m for a, b in intervals for m in range(a, b)})
    runs: list[tuple[int, int]] = []
    for m in points:
        if runs and runs[-1][1] == m:
            runs[-1] = (runs[-1][0], m + 1)
        else:
            runs.append((m, m + 1))
    return runs
