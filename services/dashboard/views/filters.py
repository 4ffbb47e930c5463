"""List filters that think in the clinic's local dates (the columns hold UTC instants)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_admin.model import filters as base_filters

from services.dashboard import context
from services.dashboard.request_guard import is_id
from shared import clinic_time
from shared.errors import InvalidInput


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = context.tz()
    return clinic_time.day_start(first, tz), clinic_time.day_start(last + timedelta(days=1), tz)


def _sane(days: list[date]) -> bool:
    """Dates the clinic's arithmetic can handle (a filter on year 1 or 9999 is a typo)."""
    return all(clinic_time.year_problem(day) is None for day in days)


# A plain text box, as every date field of the dashboard: dashboard.js gives it the clinic's
# pattern as its placeholder (Flask-Admin's own picker would write yyyy-mm-dd).
CLINIC_DAY, CLINIC_DAYS = "clinic-day", "clinic-day-range"
RANGE = " to "  # between two days, as Flask-Admin's own range filters write it


def _days(value: str) -> list[date] | None:
    """The days typed, as the clinic writes them or ISO (what the app's own links send), each
    one the clinic's arithmetic can handle; None for anything else."""
    try:
        days = [context.locale().parse_day(part) for part in value.split(RANGE)]
    except InvalidInput:
        return None
    return days if _sane(days) else None


def _cleaned(value: str) -> list[date]:
    days = _days(value)
    assert days, "Flask-Admin cleans only the values validate() accepted"
    return days


class LocalDateBetween(BaseSQLAFilter, base_filters.BaseDateBetweenFilter):
    """Local dates first..last, both included ("01.12.2026 to 05.12.2026")."""

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, name, data_type=CLINIC_DAYS)

    def validate(self, value: str) -> bool:
        days = _days(value)
        return days is not None and len(days) == 2 and days[0] <= days[1]

    def clean(self, value: str) -> list[date]:
        return _cleaned(value)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        lo, hi = _bounds(value[0], value[1])
        column = self.get_column(alias)
        return query.filter(column >= lo, column < hi)


class LocalDateOn(BaseSQLAFilter, base_filters.BaseDateFilter):
    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, name)
        self.data_type = CLINIC_DAY  # BaseDateFilter insists on its picker

    def validate(self, value: str) -> bool:
        days = _days(value)
        return days is not None and len(days) == 1

    def clean(self, value: str) -> date:
        return _cleaned(value)[0]

    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        lo, hi = _bounds(value, value)
        column = self.get_column(alias)
        return query.filter(column >= lo, column < hi)

    def operation(self) -> str:
        return lazy_gettext("on")


class LocalDateFrom(LocalDateOn):
    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) >= _bounds(value, value)[0])

    def operation(self) -> str:
        return lazy_gettext("on or after")


class LocalDateUntil(LocalDateOn):
    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) < _bounds(value, value)[1])

    def operation(self) -> str:
        return lazy_gettext("on or before")


class Choice(FilterEqual):
    """Equals one of a few options (a dropdown), e.g. a therapist by id or a status."""

    def __init__(self, column: Any, name: str, options: Any, as_int: bool = False) -> None:
        super().__init__(column, name, options=options)
        self.as_int = as_int

    def validate(self, value: str) -> bool:
        return is_id(value) or value == "0" if self.as_int else bool(value)

    def clean(self, value: str) -> Any:
        return int(value) if self.as_int else value

    def operation(self) -> str:
        return lazy_gettext("is")


class IdIs(IntEqualFilter):
    """Equals one row's id (`?flt0_booking_equals=7`); a value no id can have is refused
    (Flask-Admin says "Invalid Filter Value") instead of reaching the database."""

    def validate(self, value: str) -> bool:
        return is_id(value)
