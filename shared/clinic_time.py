"""The clinic's wall clock: local dates and times to UTC instants and back, DST included."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from shared.clinic_locale import Locale
from shared.errors import InvalidInput

ALLOWED_SLOT_STEPS = (5, 10, 15, 20, 30, 60)
# Dates and instants the clinic accepts from anyone: beyond these they are typos (and the
# arithmetic of a day around year 1 or 9999 overflows).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called `name`; raises InvalidInput for one that does not exist."""
    if not name or name != name.strip() or name not in _zone_names():
        raise InvalidInput(f"{name!r} is not an IANA timezone (e.g. Europe/Ljubljana)", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{name!r} is not an IANA timezone", field=field) from None


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def year_problem(value: date) -> str | None:
    """Why a date (or a datetime's) is out of the range the clinic accepts, or None."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
    return None


def require_date(value: date, field: str) -> date:
    """A plain date within the accepted years; raises InvalidInput."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput("expected a date like 2027-03-01", field=field)
    problem = year_problem(value)
    if problem:
        raise InvalidInput(problem, field=field)
    return value


def require_aware(value: datetime, field: str) -> datetime:
    """UTC copy of an aware datetime within the accepted years; raises InvalidInput for a
    naive one or one out of range."""
    if not isinstance(value, datetime):
        raise InvalidInput("expected a date and time", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("needs a UTC offset or Z (naive times are ambiguous)", field=field)
    problem = year_problem(value)
    if problem:
        raise InvalidInput(problem, field=field)
    return value.astimezone(UTC)


def wall_instant(
    day: date, at: time, tz: ZoneInfo, field: str, locale: Locale | None = None
) -> datetime:
    """The UTC instant of a wall-clock time someone typed. A time the clocks skip (spring)
    is refused naming the jump (as the clinic's `locale` writes times); one they show twice
    (autumn) is its first occurrence, and `fmt_local` shows which with its offset.
    Raises InvalidInput."""
    require_date(day, field)
    instant = local_to_utc(day, at, tz)
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        jumps_at = (instant - timedelta(seconds=1)).astimezone(tz) + timedelta(seconds=1)
        first = instant.astimezone(tz)
        clock = locale.clock if locale else (lambda value: f"{value:%H:%M}")
        on = locale.weekday_and_day(day) if locale else f"{day:%a %d %b %Y}"
        raise InvalidInput(
            f"{clock(at)} does not exist on {on}: clocks go forward at "
            f"{clock(jumps_at)}; {clock(first)} is the first time that day",
            field=field,
        )
    return instant


def is_ambiguous(instant: datetime, tz: ZoneInfo) -> bool:
    """Whether the clinic's clocks show this instant's wall time twice (autumn)."""
    local = instant.astimezone(tz)
    twin = local.replace(tzinfo=None).replace(tzinfo=tz, fold=1 - local.fold)
    return twin.utcoffset() != local.utcoffset()


def hm(instant: datetime, tz: ZoneInfo, locale: Locale | None = None) -> str:
    """'14:30' in the clinic's time (as its locale writes it, 24-hour without one); a wall
    time the clocks show twice carries its offset, '02:30 (+02:00)', so the hour the clocks
    go back reads unambiguously."""
    local = instant.astimezone(tz)
    clock = locale.clock(local) if locale else f"{local:%H:%M}"
    if not is_ambiguous(instant, tz):
        return clock
    offset = local.strftime("%z")
    return f"{clock} ({offset[:3]}:{offset[3:]})"


@lru_cache(maxsize=16384)
def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first instant the clinic's clocks show `at` or later on `day`.

    A time shown twice (autumn) is its first occurrence; a time skipped by DST (spring) is the
    moment of the change, so a block 02:00-10:00 on that day starts when the clocks jump to 03:00.
    Cached: every request for slots expands the same weekly hours onto the same days.
    """
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    instant = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the earlier offset
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # Skipped: the earlier offset lands after the jump, the later one before it; the jump
    # itself lies between the two (transitions are on whole seconds).
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = instant
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return local_to_utc(day, time(0), tz)


@lru_cache(maxsize=4096)
def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Cached: availability asks for the same few days hundreds of times per request."""
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def on_grid(instant: datetime, tz: ZoneInfo, step_minutes: int) -> bool:
    local = instant.astimezone(tz)
    return (
        local.second == 0
        and local.microsecond == 0
        and (local.hour * 60 + local.minute) % step_minutes == 0
    )


def grid_starts(lo: datetime, hi: datetime, tz: ZoneInfo, step_minutes: int) -> list[datetime]:
    """Every instant in [lo, hi] whose local wall time is a multiple of the step."""
    out: list[datetime] = []
    step = timedelta(minutes=step_minutes)
    cur = lo.replace(second=0, microsecond=0)
    if cur < lo:
        cur += timedelta(minutes=1)
    while cur <= hi:
        if on_grid(cur, tz, step_minutes):
            out.append(cur)
            cur += step
        else:
            cur += timedelta(minutes=1)
    return out


@lru_cache(maxsize=2048)
def day_grid(day: date, tz: ZoneInfo, step_minutes: int) -> tuple[datetime, ...]:
    """Cached: the grid instants of one local day, [day_start(day), day_start(day + 1))."""
    lo, hi = day_bounds(day, tz)
    return tuple(grid_starts(lo, hi - timedelta(microseconds=1), tz, step_minutes))


def grid_between(lo: datetime, hi: datetime, tz: ZoneInfo, step_minutes: int) -> list[datetime]:
    """Every grid instant in [lo, hi), sorted: what `grid_starts` finds, from cached days."""
    if lo >= hi:
        return []
    out: list[datetime] = []
    day, last = local_date(lo, tz) - timedelta(days=1), local_date(hi, tz)
    while day <= last:
        out.extend(day_grid(day, tz, step_minutes))
        day += timedelta(days=1)
    return out[bisect_left(out, lo) : bisect_left(out, hi)]


def fmt_local(
    instant: datetime, tz: ZoneInfo, with_date: bool = False, locale: Locale | None = None
) -> str:
    """The instant at the clinic, written as its locale writes it (without one, as the
    refusals do: Mon 01 Mar 2027 10:00)."""
    local = instant.astimezone(tz)
    if not with_date:
        return hm(instant, tz, locale)
    day = locale.weekday_and_day(local) if locale else f"{local:%a %d %b %Y}"
    return f"{day} {hm(instant, tz, locale)}"


def fmt_span(start: datetime, end: datetime, tz: ZoneInfo, locale: Locale | None = None) -> str:
    """E.g. 'Tue 01 Dec 2026 10:00-11:00' in the clinic's time.

    A span that ends on a later day names both days:
    'Mon 01 Mar 2027 00:00 - Wed 03 Mar 2027 00:00'.
    """
    first = fmt_local(start, tz, with_date=True, locale=locale)
    if local_date(start, tz) != local_date(end, tz):
        return f"{first} - {fmt_local(end, tz, with_date=True, locale=locale)}"
    return f"{first}-{fmt_local(end, tz, locale=locale)}"
