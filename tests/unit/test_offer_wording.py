"""'offered to Eva H. until ...': the time alone when the offer lapses on the session's own day
at the clinic, else the day too, written the clinic's way (shared.explanations, clinic_locale)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.clinic_locale import FALLBACK, LOCALES
from shared.explanations import offered_to

TZ = ZoneInfo("Europe/Ljubljana")
SL = LOCALES["sl-SI"]
FRIDAY = date(2026, 12, 4)


def test_an_offer_lapsing_on_the_sessions_day_says_the_time_alone():
    until = datetime(2026, 12, 4, 13, 30, tzinfo=UTC)  # 14:30 at the clinic
    assert offered_to("Eva Horvat", until, TZ, locale=SL, day=FRIDAY) == (
        "offered to Eva H. until 14:30"
    )


def test_an_offer_lapsing_on_another_day_names_that_day():
    until = datetime(2026, 12, 4, 13, 30, tzinfo=UTC)
    monday = date(2026, 12, 7)
    assert offered_to("Eva Horvat", until, TZ, locale=SL, day=monday) == (
        "offered to Eva H. until Fri 04.12. 14:30"
    )


def test_the_day_is_the_clinics_not_utcs_across_the_spring_forward_night():
    sunday = date(2027, 3, 28)  # 02:00 becomes 03:00 at the clinic
    after_midnight = datetime(2027, 3, 27, 23, 30, tzinfo=UTC)  # Sun 00:30 (+01:00)
    assert offered_to("Eva Horvat", after_midnight, TZ, locale=SL, day=sunday) == (
        "offered to Eva H. until 00:30"
    )
    after_the_jump = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # Sun 03:30 (+02:00)
    assert offered_to("Eva Horvat", after_the_jump, TZ, locale=SL, day=sunday).endswith(
        "until 03:30"
    )
    before_midnight = datetime(2027, 3, 27, 22, 30, tzinfo=UTC)  # Sat 23:30
    assert offered_to("Eva Horvat", before_midnight, TZ, locale=SL, day=sunday).endswith(
        "until Sat 27.03. 23:30"
    )


@pytest.mark.parametrize(
    ("locale", "written"),
    [
        (SL, "Fri 04.12."),
        (LOCALES["en-GB"], "Fri 04/12"),
        (LOCALES["en-US"], "Fri 12/04"),
        (LOCALES["hu-HU"], "Fri 12.04."),
        (LOCALES["nl-NL"], "Fri 04-12"),
        (FALLBACK, "Fri 12-04"),
    ],
)
def test_the_day_is_written_the_clinics_way_without_its_year(locale, written):
    assert locale.short_day(FRIDAY) == written


def test_a_twelve_hour_clinic_reads_the_time_its_way():
    until = datetime(2026, 12, 4, 19, 30, tzinfo=UTC)  # 14:30 in New York
    new_york = ZoneInfo("America/New_York")
    assert offered_to(
        "Eva Horvat", until, new_york, locale=LOCALES["en-US"], day=date(2026, 12, 7)
    ) == ("offered to Eva H. until Fri 12/04 2:30 PM")
