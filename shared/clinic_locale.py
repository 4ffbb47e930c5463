"""The clinic's country as its timezone implies it: phone calling code and how dates are written.

A clinic in Europe/Ljubljana writes 03.12.2026 and 17:00 and dials +386, whatever the browser's
language; the locale is a clinic setting (`Clinic.locale`), empty meaning "from the timezone".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class Locale:
    tag: str  # BCP 47, e.g. "sl-SI"
    calling_code: str  # "386"; "" when unknown
    date_pattern: str  # strftime, e.g. "%d.%m.%Y"
    date_hint: str  # what the receptionist types, e.g. "dd.mm.yyyy"
    twelve_hour: bool = False

    def day(self, value: date) -> str:
        return value.strftime(self.date_pattern)

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
FALLBACK = Locale("en", "", *_ISO)


def default_for(timezone: str) -> str:
    """The locale a clinic in this timezone writes dates in ("" when its country is unknown)."""
    return _BY_ZONE.get(timezone, "")


def locale_of(tag: str, timezone: str) -> Locale:
    """The clinic's locale: its setting, else its timezone's country's, else ISO dates."""
    return LOCALES.get(tag or default_for(timezone)) or FALLBACK
