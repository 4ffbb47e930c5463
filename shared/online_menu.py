"""What the booking page (/book) shows at each step, as plain data: the treatments the clinic
opens online, who gives them, and a week of free start times.

Reads only, from the process's catalog cache and the availability engine (one range read per
week); the request itself is `shared.holds.request_online`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared import clinic_colours, clinic_time, validation
from shared.availability import find_availability
from shared.catalog_cache import CatalogSnapshot, Offer, catalog_snapshot
from shared.clinic_locale import Locale
from shared.errors import InvalidInput, NotFound, OnlineBookingClosed
from shared.placement import PlacementRequest, place_many

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Page:
    """The clinic as the page introduces it."""

    name: str
    phone: str
    address: str
    open: bool  # online booking switched on
    theme: clinic_colours.Theme


@dataclass(frozen=True)
class Choice:
    """One treatment on the page."""

    id: int
    name: str
    description: str
    minutes: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Giver:
    id: int
    name: str


@dataclass(frozen=True)
class Day:
    day: date
    times: list[tuple[datetime, str]]  # (the instant, how it reads at the clinic)


@dataclass(frozen=True)
class Week:
    """Free start times of one week (Monday to Sunday, at the clinic), and where to go next."""

    clinic: Page
    choice: Choice
    giver: Giver | None  # None: any therapist
    first: date  # its Monday
    days: list[Day]  # the days with free times only
    tz: ZoneInfo
    earlier: date | None  # the Monday of the week before, if it is not all in the past
    later: date | None  # the Monday of the week after, if it is within the horizon

    @property
    def empty(self) -> bool:
        return not self.days


def page(session: Session) -> Page:
    """Raises NotFound while the clinic is not set up."""
    return _page(catalog_snapshot(session))


def theme(session: Session) -> clinic_colours.Theme:
    """The colours of the clients' pages; the default palette while the clinic is not set up."""
    try:
        return _page(catalog_snapshot(session)).theme
    except NotFound:
        return clinic_colours.DEFAULT


def choices(session: Session) -> list[Choice]:
    """The treatments open online, in the clinic's order. Raises OnlineBookingClosed."""
    catalog = _open(catalog_snapshot(session))
    return [_choice(o) for _, o in sorted(catalog.offers.items()) if _online(o)]


def choice(session: Session, treatment_type_id: int) -> Choice:
    """One treatment open online. Raises InvalidInput, OnlineBookingClosed."""
    return _choice(_offer(catalog_snapshot(session), treatment_type_id))


def givers(session: Session, treatment_type_id: int) -> list[Giver]:
    """The active therapists who give a treatment open online, by name. Raises InvalidInput,
    OnlineBookingClosed."""
    catalog = catalog_snapshot(session)
    return _givers(catalog, _offer(catalog, treatment_type_id))


def giver(session: Session, treatment_type_id: int, therapist_id: int | None) -> Giver | None:
    """The therapist asked for (None: anyone). Raises InvalidInput, OnlineBookingClosed."""
    catalog = catalog_snapshot(session)
    return _giver(catalog, _offer(catalog, treatment_type_id), therapist_id)


def week(
    session: Session,
    *,
    treatment_type_id: int,
    therapist_id: int | None,
    now: datetime,
    first: date | None = None,
) -> Week:
    """The free start times of the week beginning on Monday `first`; without `first`, of the
    first week from today that has any (searched week by week up to the booking horizon).
    With any therapist, a time free with several is shown once. One read of the catalog's
    version and one range read per week searched.

    Raises InvalidInput (a date out of range), OnlineBookingClosed, NotFound.
    """
    catalog = catalog_snapshot(session)
    offer = _offer(catalog, treatment_type_id)
    asked = _giver(catalog, offer, therapist_id)
    chosen = _choice(offer)
    tz = catalog.tz
    today = clinic_time.local_date(clinic_time.require_aware(now, "now"), tz)
    this_monday = today - timedelta(days=today.weekday())
    last = today + timedelta(days=catalog.booking_horizon_days)
    if first is not None:
        first = clinic_time.require_date(first, "week")
        monday = first - timedelta(days=first.weekday())
        if monday < this_monday or monday > last:
            raise InvalidInput(
                f"choose a week between {catalog.locale.day(this_monday)} and "
                f"{catalog.locale.day(last)}",
                field="week",
            )
        return _week(session, catalog, chosen, asked, monday, now, last)
    shown = found = _week(session, catalog, chosen, asked, this_monday, now, last)
    while found.empty and found.later is not None:
        found = _week(session, catalog, chosen, asked, found.later, now, last)
    return shown if found.empty else found  # nothing free anywhere: this week, empty


def _week(
    session: Session,
    catalog: CatalogSnapshot,
    chosen: Choice,
    asked: Giver | None,
    monday: date,
    now: datetime,
    last: date,
) -> Week:
    tz = catalog.tz
    found = find_availability(
        session,
        treatment_type_id=chosen.id,
        start=monday,
        end=monday + timedelta(days=6),
        now=now,
        therapist_id=asked.id if asked else None,
    )
    by_day: dict[date, dict[datetime, str]] = {}
    for slot in found.slots:
        day = clinic_time.local_date(slot.start, tz)
        by_day.setdefault(day, {}).setdefault(
            slot.start, clinic_time.hm(slot.start, tz, catalog.locale)
        )
    today = clinic_time.local_date(now, tz)
    this_monday = today - timedelta(days=today.weekday())
    return Week(
        clinic=_page(catalog),
        choice=chosen,
        giver=asked,
        first=monday,
        days=[Day(d, sorted(times.items())) for d, times in sorted(by_day.items())],
        tz=tz,
        earlier=monday - WEEK if monday - WEEK >= this_monday else None,
        later=monday + WEEK if monday + WEEK <= last else None,
    )


def _page(catalog: CatalogSnapshot) -> Page:
    return Page(
        catalog.name,
        catalog.phone,
        catalog.address,
        catalog.online_booking,
        clinic_colours.theme(catalog.brand_colour),
    )


def _open(catalog: CatalogSnapshot) -> CatalogSnapshot:
    if not catalog.online_booking:
        raise OnlineBookingClosed("The clinic takes no bookings online just now")
    return catalog


def _offer(catalog: CatalogSnapshot, treatment_type_id: int) -> Offer:
    validation.positive_id(treatment_type_id, "treatment")
    offer = _open(catalog).offers.get(treatment_type_id)
    if offer is None or not _online(offer):
        raise OnlineBookingClosed(
            "This treatment cannot be booked online: please choose another or call the clinic",
            field="treatment",
        )
    return offer


def _givers(catalog: CatalogSnapshot, offer: Offer) -> list[Giver]:
    found = [Giver(t, catalog.therapists[t].name) for t in offer.therapist_ids]
    return sorted(found, key=lambda g: g.name)


def _giver(catalog: CatalogSnapshot, offer: Offer, therapist_id: int | None) -> Giver | None:
    if therapist_id is None:
        return None
    validation.positive_id(therapist_id, "therapist")
    for found in _givers(catalog, offer):
        if found.id == therapist_id:
            return found
    raise InvalidInput("This therapist does not give this treatment online", field="therapist")


def _choice(offer: Offer) -> Choice:
    minutes = int(offer.duration.total_seconds() // 60)
    return Choice(offer.id, offer.name, offer.description, minutes, offer.price, offer.currency)


def _online(offer: Offer) -> bool:
    return offer.active and offer.online and bool(offer.therapist_ids) and bool(offer.room_ids)


def zone(session: Session) -> ZoneInfo:
    """The clinic's time zone, to show times in."""
    return catalog_snapshot(session).tz


def writing(session: Session) -> Locale:
    """How the clinic writes dates and times, to show them in."""
    return catalog_snapshot(session).locale


def check_time(
    session: Session,
    *,
    treatment_type_id: int,
    therapist_id: int | None,
    start: datetime,
    now: datetime,
) -> Giver | None:
    """The therapist asked for, once the time is still free for the treatment (a preview
    through the placement engine: no locks, nothing written). Raises InvalidInput,
    OnlineBookingClosed and the placement's refusals (InThePast, BeyondHorizon, ...).
    """
    asked = giver(session, treatment_type_id, therapist_id)
    request = PlacementRequest(
        treatment_type_id=treatment_type_id,
        start=clinic_time.require_aware(start, "start"),
        therapist_id=therapist_id,
    )
    place_many(session, [request], now=now, lock=False)[0].unwrap()
    return asked
