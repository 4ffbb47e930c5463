"""Where a dashboard request finds the process's settings, database, clock and clinic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, g

from shared import clinic_locale, clinic_time, directory
from shared.clinic_locale import Locale
from shared.config import Settings
from shared.db import Database
from shared.models import Clinic


def db() -> Database:
    return current_app.extensions["clinic.db"]


def settings() -> Settings:
    return current_app.extensions["clinic.settings"]


def now() -> datetime:
    """The current instant; tests may pin it with config CLOCK."""
    clock: Callable[[], datetime] = current_app.extensions["clinic.clock"]
    return clock()


def clinic() -> Clinic | None:
    """The clinic's settings row, read once per request."""
    if "clinic_row" not in g:
        with db().read() as session:
            g.clinic_row = directory.find_clinic(session)
    return g.clinic_row


def tz() -> ZoneInfo:
    row = clinic()
    return clinic_time.zone(row.timezone if row else "Europe/Ljubljana")


def today() -> date:
    """Today's date on the clinic's wall calendar."""
    return clinic_time.local_date(now(), tz())


def locale() -> Locale:
    """How the clinic writes dates and times, and its phone calling code."""
    return clinic_locale.of_clinic(clinic())
