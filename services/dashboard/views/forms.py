"""Form fields shared by the dashboard's screens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_admin.form.widgets import Select2Widget
from wtforms import Field, SelectField, SelectMultipleField, ValidationError
from wtforms.fields import ColorField
from wtforms.widgets import TextInput

from services.dashboard import context
from shared.clinic_locale import Locale
from shared.errors import InvalidInput

__all__ = [
    "ClinicDateField",
    "ClinicDateTimeField",
    "ClinicTimeField",
    "ColorField",
    "LocalDateTimeField",
    "MultiSelect",
    "OptionalIdSelect",
    "near_today",
    "opts",
    "show_unreadable",
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


MAX_YEARS_AWAY = 10  # further from today is a typo: forms refuse it, the day view shows today


def near_today(form: Any, field: Any) -> None:
    """WTForms validator: dates far in the past or future are typos (and overflow)."""
    value = field.data
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if abs(day.year - date.today().year) > MAX_YEARS_AWAY:
        raise ValidationError(f"pick a date within {MAX_YEARS_AWAY} years of today")


class _ClinicInput(TextInput):
    """A text box showing the clinic's pattern (dd.mm.yyyy, hh:mm) as its placeholder: the
    browser's own date and time pickers follow the browser's locale, not the clinic's."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("placeholder", field.hint(context.locale()))
        kwargs.setdefault("inputmode", field.inputmode(context.locale()))
        kwargs.setdefault("autocomplete", "off")
        if isinstance(field, ClinicDateField):
            kwargs.setdefault("data-clinic-day", "")  # dashboard.js: a whole date refreshes
        return super().__call__(field, **kwargs)


class _ClinicTypedField(Field):
    """A date and/or time typed as the clinic writes it (ISO is accepted too); anything else
    is refused with a message naming the pattern. Parsing and writing are `Locale`'s."""

    widget = _ClinicInput()

    def hint(self, locale: Locale) -> str:
        raise NotImplementedError

    def write(self, locale: Locale, value: Any) -> str:
        raise NotImplementedError

    def read(self, locale: Locale, typed: str) -> Any:
        raise NotImplementedError

    def inputmode(self, locale: Locale) -> str:
        return "text" if locale.twelve_hour else "numeric"

    def _value(self) -> str:
        """What was read, as the clinic writes it (a link's ISO day too); a typo as typed."""
        if self.data is not None:
            return self.write(context.locale(), self.data)
        return str(self.raw_data[0]) if self.raw_data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return  # InputRequired or Optional says whether that is all right
        try:
            self.data = self.read(context.locale(), str(valuelist[0]))
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


class ClinicDateField(_ClinicTypedField):
    """A day: 04.12.2026 in a clinic in Ljubljana, 12/04/2026 in one in New York."""

    def hint(self, locale: Locale) -> str:
        return locale.date_hint

    def write(self, locale: Locale, value: Any) -> str:
        return locale.day(value)

    def read(self, locale: Locale, typed: str) -> Any:
        return locale.parse_day(typed, self.name)


class ClinicTimeField(_ClinicTypedField):
    """A wall-clock time: 17:30, or 5:30 PM where the clinic writes 12-hour times."""

    def hint(self, locale: Locale) -> str:
        return locale.clock_hint

    def write(self, locale: Locale, value: Any) -> str:
        return locale.clock(value)

    def read(self, locale: Locale, typed: str) -> Any:
        return locale.parse_clock(typed, self.name)


class ClinicDateTimeField(_ClinicTypedField):
    """A wall-clock date and time at the clinic, 04.12.2026 17:30 (made UTC by the view)."""

    def hint(self, locale: Locale) -> str:
        return f"{locale.date_hint} {locale.clock_hint}"

    def write(self, locale: Locale, value: Any) -> str:
        return locale.day_and_clock(value)

    def read(self, locale: Locale, typed: str) -> Any:
        return locale.parse_day_and_clock(typed, self.name)


def show_unreadable(form: Any) -> None:
    """Forms sent with GET are not validated: a day or time typed so that it cannot be read
    still says why under its field (instead of silently showing nothing)."""
    for field in form:
        if isinstance(field, _ClinicTypedField) and field.process_errors:
            field.errors = list(field.process_errors)


def LocalDateTimeField(label: str, **kwargs: Any) -> ClinicDateTimeField:
    """A wall-clock date and time at the clinic within ten years of today."""
    kwargs["validators"] = [*kwargs.get("validators", []), near_today]
    return ClinicDateTimeField(label, **kwargs)


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
