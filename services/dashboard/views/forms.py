"""Form fields shared by the dashboard's screens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_admin.form.widgets import Select2Widget
from wtforms import SelectField, SelectMultipleField, ValidationError
from wtforms.fields import ColorField, DateField, DateTimeLocalField, TimeField

__all__ = [
    "ColorField",
    "DateField",
    "LocalDateTimeField",
    "MultiSelect",
    "OptionalIdSelect",
    "TimeField",
    "near_today",
    "opts",
]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

try:  # WTForms 3.3 wants SelectChoice objects; older versions take (value, label) pairs.
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


def opts(pairs: Iterable[tuple[Any, str]]) -> list[Any]:
    """Dropdown choices from (value, label) pairs; a value of "" or None is the empty choice."""
    out: list[Any] = []
    for value, label in pairs:
        raw = "" if value is None else str(value)
        out.append(SelectChoice(raw, label) if SelectChoice else (raw, label))
    return out


MAX_YEARS_AWAY = 10


def near_today(form: Any, field: Any) -> None:
    """WTForms validator: dates far in the past or future are typos (and overflow)."""
    value = field.data
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if abs(day.year - date.today().year) > MAX_YEARS_AWAY:
        raise ValidationError(f"pick a date within {MAX_YEARS_AWAY} years of today")


def LocalDateTimeField(label: str, **kwargs: Any) -> DateTimeLocalField:
    """A wall-clock date and time at the clinic (converted to UTC by the view)."""
    kwargs["validators"] = [*kwargs.get("validators", []), near_today]
    return DateTimeLocalField(label, format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs)


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class OptionalIdSelect(SelectField):
    """A dropdown of ids where the first, empty choice means "none" or "any"."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", optional_int)
        super().__init__(label, **kwargs)


class MultiSelect(SelectMultipleField):
    widget = Select2Widget(multiple=True)

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        super().__init__(label, **kwargs)
