"""A course's rhythm: when its sessions fall, as wall-clock times at the clinic. Pure.

Every session keeps the first one's local time (10:00 stays 10:00 across a DST change), so
the UTC instants move by an hour where the clocks do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared import clinic_time
from shared.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_SESSIONS = 2
MAX_SESSIONS = 52  # twice a week for the longest course horizon the clinic may set
MAX_EVERY_WEEKS = 4
MAX_EVERY_DAYS = 28


@dataclass(frozen=True)
class Rhythm:
    """Exactly one of: every N weeks on the first session's weekday; on chosen weekdays of
    every week; every N days."""

    every_weeks: int | None = None
    weekdays: tuple[int, ...] = ()  # 0 = Monday, ascending
    every_days: int | None = None

    def describe(self) -> str:
        """'every week', 'every 2 weeks', 'Mon and Thu every week', 'every 3 days'."""
        if self.every_weeks is not None:
            return "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"
        if self.every_days is not None:
            return "every day" if self.every_days == 1 else f"every {self.every_days} days"
        names = [WEEKDAYS[d].capitalize() for d in self.weekdays]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{listed} every week"


def parse_rhythm(raw: Mapping[str, Any] | None) -> Rhythm:
    """A rhythm from {"every_weeks": 1} | {"weekdays": ["mon", "thu"]} | {"every_days": N}.

    Raises InvalidInput naming `rhythm` or the part at fault (e.g. `rhythm.weekdays`).
    """
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput(
            'give a rhythm: {"every_weeks": 1}, {"weekdays": ["mon", "thu"]} or {"every_days": 3}',
            field="rhythm",
        )
    given = [k for k in ("every_weeks", "weekdays", "every_days") if raw.get(k) is not None]
    unknown = sorted(set(raw) - {"every_weeks", "weekdays", "every_days"})
    if unknown:
        raise InvalidInput(f"unknown rhythm {unknown[0]!r}", field=f"rhythm.{unknown[0]}")
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of every_weeks, weekdays or every_days", field="rhythm"
        )
    kind = given[0]
    value = raw[kind]
    if kind == "every_weeks":
        return Rhythm(every_weeks=_whole(value, "rhythm.every_weeks", MAX_EVERY_WEEKS))
    if kind == "every_days":
        return Rhythm(every_days=_whole(value, "rhythm.every_days", MAX_EVERY_DAYS))
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput(
            'give one or more weekdays, e.g. ["mon", "thu"]', field="rhythm.weekdays"
        )
    days: set[int] = set()
    for name in value:
        key = name.strip().lower()[:3] if isinstance(name, str) else None
        if key not in WEEKDAYS or not isinstance(name, str) or len(name.strip()) < 3:
            raise InvalidInput(
                f"unknown weekday {name!r}: use mon, tue, wed, thu, fri, sat or sun",
                field="rhythm.weekdays",
            )
        if WEEKDAYS.index(key) in days:
            raise InvalidInput(f"{name!r} is given twice", field="rhythm.weekdays")
        days.add(WEEKDAYS.index(key))
    return Rhythm(weekdays=tuple(sorted(days)))


def check_count(count: object, field: str = "count") -> int:
    """Raises InvalidInput unless MIN_SESSIONS <= count <= MAX_SESSIONS."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInput("must be a whole number", field=field)
    if not MIN_SESSIONS <= count <= MAX_SESSIONS:
        raise InvalidInput(f"a course has {MIN_SESSIONS} to {MAX_SESSIONS} sessions", field=field)
    return count


def planned_starts(
    first_start: datetime, rhythm: Rhythm, count: int, tz: ZoneInfo
) -> list[datetime]:
    """The UTC starts of `count` sessions from `first_start`, each at its local wall time.

    Raises InvalidInput when the first start is not on one of the chosen weekdays.
    """
    first_start = clinic_time.require_aware(first_start, "first_start")
    local = first_start.astimezone(tz)
    day, at = local.date(), local.time().replace(tzinfo=None)
    dates: list[date]
    if rhythm.every_weeks is not None:
        dates = [day + timedelta(weeks=rhythm.every_weeks * i) for i in range(count)]
    elif rhythm.every_days is not None:
        dates = [day + timedelta(days=rhythm.every_days * i) for i in range(count)]
    else:
        if day.weekday() not in rhythm.weekdays:
            chosen = ", ".join(WEEKDAYS[d] for d in rhythm.weekdays)
            raise InvalidInput(
                f"the first session falls on a {local:%A}, not on one of the chosen weekdays "
                f"({chosen})",
                field="first_start",
            )
        dates = []
        cursor = day
        while len(dates) < count:
            if cursor.weekday() in rhythm.weekdays:
                dates.append(cursor)
            cursor += timedelta(days=1)
    return [clinic_time.local_to_utc(d, at, tz) for d in dates]


def _whole(value: object, field: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise InvalidInput(f"must be a whole number from 1 to {high}", field=field)
    return value
