"""The clinic's country as its timezone implies it: phone calling code and how dates are written.

A clinic in Europe/Ljubljana writes 03.12.2026 and 17:00 and dials +386, whatever the browser's
language; the locale is a clinic setting (`Clinic.locale`), empty meaning "from the timezone".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from shared.errors import InvalidInput

MAX_TYPED = 32  # longer than any date and time written by hand: refused before parsing
_ISO_DAY = "%Y-%m-%d"
_DAY_SHAPE = re.compile(r"[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}")
_CLOCK_24 = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})(?::([0-9]{2}))?")
_CLOCK_12 = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*([ap])\.?m\.?", re.IGNORECASE)


@dataclass(frozen=True)
class Locale:
    tag: str  # BCP 47, e.g. "sl-SI"
    calling_code: str  # "386"; "" when unknown
    date_pattern: str  # strftime, e.g. "%d.%m.%Y"
    date_hint: str  # what the receptionist types, e.g. "dd.mm.yyyy"
    twelve_hour: bool = False

    def day(self, value: date) -> str:
        return value.strftime(self.date_pattern)

    def long_when(self, value: datetime) -> str:
        """'Monday 1 March 2027, 17:30' ('5:30 PM' where the clinic writes 12-hour times):
        the day in words, as the clients' pages and e-mails write it."""
        return f"{long_day(value)}, {self.clock(value)}"

    def weekday_and_day(self, value: date) -> str:
        """Thu 03.12.2026: the weekday's name stays English, the numbers are the clinic's."""
        return f"{value:%a} {self.day(value)}"

    def clock(self, value: time | datetime) -> str:
        if self.twelve_hour:
            return value.strftime("%I:%M %p").lstrip("0")
        return value.strftime("%H:%M")

    def day_and_clock(self, value: datetime) -> str:
        return f"{self.day(value)} {self.clock(value)}"

    def short_day(self, value: date) -> str:
        """The weekday and the day without its year, for a day near the one shown:
        'Fri 04.12.', 'Fri 04/12', 'Fri 12/04' (en-US), 'Fri 12-04' (ISO)."""
        pattern = self.date_pattern.replace("%Y", "")
        if pattern.startswith("."):  # yyyy.mm.dd: mm.dd.
            pattern = pattern[1:] + "."
        return f"{value:%a} {value.strftime(pattern.strip('/-'))}"

    def clock_span(self, start: time | datetime, end: time | datetime) -> str:
        """09:00-17:00 (or 9:00 AM-5:00 PM) with an en dash: wall-clock times, already local."""
        return f"{self.clock(start)}\u2013{self.clock(end)}"

    @property
    def clock_hint(self) -> str:
        """What the receptionist types for a time, e.g. "hh:mm" (24-hour)."""
        return "h:mm AM/PM" if self.twelve_hour else "hh:mm"

    def parse_day(self, typed: str, field: str = "date") -> date:
        """The date typed in the clinic's pattern, or ISO yyyy-mm-dd (what links and older
        forms send). Raises InvalidInput naming the pattern for anything else."""
        text = _typed(typed)
        if _DAY_SHAPE.fullmatch(text):
            for pattern in (self.date_pattern, _ISO_DAY):
                try:
                    return datetime.strptime(text, pattern).date()
                except ValueError:
                    continue
        raise InvalidInput(f"Write the date as {self.date_hint}", field=field)

    def parse_clock(self, typed: str, field: str = "time") -> time:
        """A wall-clock time: 24-hour 17:30 always (it is unambiguous), 5:30 PM where the
        clinic writes 12-hour times. Raises InvalidInput naming the pattern."""
        text = _typed(typed)
        found = _CLOCK_24.fullmatch(text)
        try:
            if found:
                return time(int(found[1]), int(found[2]), int(found[3] or 0))
            found = _CLOCK_12.fullmatch(text) if self.twelve_hour else None
            if found and 1 <= int(found[1]) <= 12:
                hour = int(found[1]) % 12 + (12 if found[3].lower() == "p" else 0)
                return time(hour, int(found[2] or 0))
        except ValueError:  # 25:00, 12:60
            pass
        raise InvalidInput(f"Write the time as {self.clock_hint}", field=field)

    def parse_day_and_clock(self, typed: str, field: str = "when") -> datetime:
        """A wall-clock date and time, "04.12.2026 17:30" (or ISO "2026-12-04T17:30"), naive:
        the caller places it in the clinic's timezone. Raises InvalidInput naming the pattern."""
        day, _, clock = _typed(typed).replace("T", " ", 1).partition(" ")
        try:
            return datetime.combine(
                self.parse_day(day, field), self.parse_clock(clock.strip(), field)
            )
        except InvalidInput:
            raise InvalidInput(
                f"Write the date and time as {self.date_hint} {self.clock_hint}", field=field
            ) from None


_DOTTED = ("%d.%m.%Y", "dd.mm.yyyy")
_SLASHED = ("%d/%m/%Y", "dd/mm/yyyy")
_ISO = ("%Y-%m-%d", "yyyy-mm-dd")

LOCALES: dict[str, Locale] = {
    loc.tag: loc
    for loc in (
        Locale("sl-SI", "386", *_DOTTED),
        Locale("hr-HR", "385", *_DOTTED),
        Locale("sr-RS", "381", *_DOTTED),
        Locale("bs-BA", "387", *_DOTTED),
        Locale("de-DE", "49", *_DOTTED),
        Locale("de-AT", "43", *_DOTTED),
        Locale("de-CH", "41", *_DOTTED),
        Locale("cs-CZ", "420", *_DOTTED),
        Locale("sk-SK", "421", *_DOTTED),
        Locale("pl-PL", "48", *_DOTTED),
        Locale("hu-HU", "36", "%Y.%m.%d", "yyyy.mm.dd"),
        Locale("it-IT", "39", *_SLASHED),
        Locale("fr-FR", "33", *_SLASHED),
        Locale("es-ES", "34", *_SLASHED),
        Locale("en-GB", "44", *_SLASHED),
        Locale("en-IE", "353", *_SLASHED),
        Locale("nl-NL", "31", "%d-%m-%Y", "dd-mm-yyyy"),
        Locale("zh-CN", "86", *_ISO),
        Locale("en-US", "1", "%m/%d/%Y", "mm/dd/yyyy", twelve_hour=True),
    )
}

# The country each common clinic timezone lies in (the rest fall back to FALLBACK).
_BY_ZONE = {
    "Europe/Ljubljana": "sl-SI",
    "Europe/Zagreb": "hr-HR",
    "Europe/Belgrade": "sr-RS",
    "Europe/Sarajevo": "bs-BA",
    "Europe/Berlin": "de-DE",
    "Europe/Vienna": "de-AT",
    "Europe/Zurich": "de-CH",
    "Europe/Prague": "cs-CZ",
    "Europe/Bratislava": "sk-SK",
    "Europe/Warsaw": "pl-PL",
    "Europe/Budapest": "hu-HU",
    "Europe/Rome": "it-IT",
    "Europe/Paris": "fr-FR",
    "Europe/Madrid": "es-ES",
    "Europe/London": "en-GB",
    "Europe/Dublin": "en-IE",
    "Europe/Amsterdam": "nl-NL",
    "Asia/Shanghai": "zh-CN",
    "America/New_York": "en-US",
    "America/Chicago": "en-US",
    "America/Denver": "en-US",
    "America/Los_Angeles": "en-US",
}


def long_day(value: date) -> str:
    """'Monday 1 March 2027': the day in words, which reads the same in every locale."""
    return f"{value:%A} {value.day} {value:%B %Y}"


FALLBACK = Locale("en", "", *_ISO)


def default_for(timezone: str) -> str:
    """The locale a clinic in this timezone writes dates in ("" when its country is unknown)."""
    return _BY_ZONE.get(timezone, "")


def locale_of(tag: str, timezone: str) -> Locale:
    """The clinic's locale: its setting, else its timezone's country's, else ISO dates."""
    return LOCALES.get(tag or default_for(timezone)) or FALLBACK


def of_clinic(clinic: Any | None) -> Locale:
    """The locale of a clinic's settings row (ISO dates while there is none)."""
    return locale_of(clinic.locale, clinic.timezone) if clinic is not None else FALLBACK


def _typed(typed: str) -> str:
    """What was typed, trimmed; too long to be a date or time is refused as unreadable."""
    text = typed.strip() if isinstance(typed, str) else ""
    return text if len(text) <= MAX_TYPED else ""
