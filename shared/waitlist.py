"""The waiting list: who waits for which treatment, when, in the order they joined.

Entries are added by the receptionist, by programs and by clients on the booking page; the
matching of freed time to entries, and the offers, live in `shared.offers`.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from shared import clinic_time, login_throttle, online_menu, validation
from shared.catalog_cache import catalog_snapshot
from shared.clients import find_or_create_client, get_client
from shared.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from shared.models import (
    Client,
    EntryStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from shared.models.types import pk, utcnow
from shared.models.waitlist import OPEN_ENTRY_STATUSES

SOURCES = ("api", "dashboard", "client")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# When a session starts, in the clinic's local time, for the wishes "mornings" and so on.
AFTERNOON_FROM = time(12)
EVENING_FROM = time(17)
MAX_LIST = 200


@dataclass(frozen=True)
class Wishes:
    """What an entry waits for besides its treatment: the days, and when in the day."""

    first_day: date
    last_day: date
    mornings: bool = True
    afternoons: bool = True
    evenings: bool = True
    weekdays: frozenset[int] = frozenset(range(7))  # 0 is Monday
    therapist_id: int | None = None


def weekday_mask(weekdays: Collection[int]) -> int:
    return sum(1 << day for day in set(weekdays))


def weekdays_of(mask: int) -> list[int]:
    return [day for day in range(7) if mask & (1 << day)]


def fits(entry: WaitlistEntry, start: datetime, tz: clinic_time.ZoneInfo) -> bool:
    """Whether a session starting at `start` is what the entry waits for (its days, its
    weekdays and its times of day, in the clinic's zone)."""
    local = start.astimezone(tz)
    if not entry.first_day <= local.date() <= entry.last_day:
        return False
    if not entry.weekdays & (1 << local.weekday()):
        return False
    at = local.time()
    if at < AFTERNOON_FROM:
        return entry.mornings
    if at < EVENING_FROM:
        return entry.afternoons
    return entry.evenings


def join(
    session: Session,
    *,
    client_id: int,
    treatment_type_id: int,
    wishes: Wishes,
    actor: str,
    source: str = "api",
    notes: str = "",
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put a client on the waiting list, last in line.

    Raises InvalidInput (days, wishes, notes), NotFound (client, treatment, therapist),
    InactiveResource (a retired treatment or therapist), Conflict (the client already waits
    for it).
    """
    now = utcnow() if now is None else clinic_time.require_aware(now, "now")
    actor = validation.text(actor or "", "actor", max_len=200)
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    notes = validation.text(notes or "", "notes", max_len=2000, required=False)
    validation.positive_id(treatment_type_id, "treatment_type_id")
    catalog = catalog_snapshot(session)
    offer = catalog.offer(treatment_type_id, field="treatment_type_id")
    therapist_id = wishes.therapist_id
    if therapist_id is not None:
        validation.positive_id(therapist_id, "therapist_id")
        therapist = catalog.therapist(therapist_id)
        if therapist_id not in offer.therapist_ids:
            raise InvalidInput(f"{therapist.name} does not give {offer.name}", field="therapist_id")
    _check_wishes(wishes, clinic_time.local_date(now, catalog.tz), catalog.booking_horizon_days)
    client = get_client(session, client_id)
    waiting = session.exec(
        select(WaitlistEntry.id).where(
            WaitlistEntry.client_id == client.id,
            WaitlistEntry.treatment_type_id == treatment_type_id,
            col(WaitlistEntry.status).in_([s.value for s in OPEN_ENTRY_STATUSES]),
        )
    ).first()
    if waiting is not None:
        raise Conflict(
            f"{client.name} is already on the waiting list for {offer.name} "
            f"(entry {waiting}): change or remove that entry instead",
            field="treatment_type_id",
        )
    entry = WaitlistEntry(
        client_id=pk(client.id),
        treatment_type_id=treatment_type_id,
        therapist_id=therapist_id,
        first_day=wishes.first_day,
        last_day=wishes.last_day,
        mornings=wishes.mornings,
        afternoons=wishes.afternoons,
        evenings=wishes.evenings,
        weekdays=weekday_mask(wishes.weekdays),
        notes=notes,
        source=source,
        created_by=actor,
        joined_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def join_online(
    session: Session,
    *,
    treatment_type_id: int,
    wishes: Wishes,
    name: str,
    email: str,
    phone: str,
    note: str,
    consent: bool,
    now: datetime,
    address: str | None = None,
) -> WaitlistEntry:
    """The booking page's "join the waiting list": the client with this e-mail (registered if
    new) waits for a treatment open online. Each request is counted against the network
    `address` it came from, with the page's bookings (`login_throttle`).

    Raises OnlineBookingClosed (switched off, or not for this treatment), InvalidInput (the
    form, the days and wishes, a therapist who does not give it online), TooManyAttempts
    (too many requests from this address lately), Conflict (already waiting for it).
    """
    now = clinic_time.require_aware(now, "now")
    online_menu.choice(session, treatment_type_id)
    online_menu.giver(session, treatment_type_id, wishes.therapist_id)
    name = validation.text(name, "name", max_len=200)
    address_ = validation.email(email)
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    note = validation.text(note or "", "note", max_len=2000, required=False)
    if consent is not True:
        raise InvalidInput("please agree to the privacy notice to join", field="consent")
    catalog = catalog_snapshot(session)
    _check_wishes(wishes, clinic_time.local_date(now, catalog.tz), catalog.booking_horizon_days)
    login_throttle.count_booking_request(session, address=address, now=now)
    client = find_or_create_client(session, name=name, email=address_, phone=phone)
    return join(
        session,
        client_id=pk(client.id),
        treatment_type_id=treatment_type_id,
        wishes=wishes,
        actor="client (booking page)",
        source="client",
        notes=note,
        now=now,
    )


def _check_wishes(wishes: Wishes, today: date, horizon_days: int) -> None:
    first = clinic_time.require_date(wishes.first_day, "first_day")
    last = clinic_time.require_date(wishes.last_day, "last_day")
    if last < first:
        raise InvalidInput("the last day is before the first day", field="last_day")
    if last < today:
        raise InvalidInput("the days asked for are all in the past", field="last_day")
    reach = today + timedelta(days=horizon_days)
    if first > reach:
        raise InvalidInput(
            f"the clinic books at most {horizon_days} days ahead (until {reach.isoformat()})",
            field="first_day",
        )
    if not (wishes.mornings or wishes.afternoons or wishes.evenings):
        raise InvalidInput("choose at least one of mornings, afternoons, evenings", field="times")
    days = set(wishes.weekdays)
    if not days:
        raise InvalidInput("choose at least one weekday", field="weekdays")
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise InvalidInput("weekdays are 0 (Monday) to 6 (Sunday)", field="weekdays")


def get_entry(session: Session, entry_id: int, *, lock: bool = False) -> WaitlistEntry:
    """Raises InvalidInput, NotFound."""
    validation.positive_id(entry_id, "entry_id")
    entry = session.get(WaitlistEntry, entry_id, with_for_update=lock or None)
    if entry is None:
        raise NotFound(f"No waiting list entry with id {entry_id}", field="entry_id")
    return entry


def remove(
    session: Session, entry_id: int, *, actor: str, now: datetime | None = None
) -> WaitlistEntry:
    """Take an entry off the list; an open offer is withdrawn and its time freed. Removing a
    removed entry changes nothing. Raises NotFound, InvalidTransition (booked or expired)."""
    from shared import offers  # offers build on entries: imported here, not at the top

    now = utcnow() if now is None else clinic_time.require_aware(now, "now")
    validation.text(actor or "", "actor", max_len=200)
    entry = get_entry(session, entry_id, lock=True)
    if entry.status == EntryStatus.REMOVED:
        return entry
    if entry.status not in OPEN_ENTRY_STATUSES:
        raise InvalidTransition(
            f"This entry is {entry.status} and no longer on the list", field="entry_id"
        )
    offers.withdraw_open_offer(session, entry, actor=actor, now=now)
    entry.status = EntryStatus.REMOVED.value
    entry.updated_at = now
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Listed:
    """An entry as lists show it, with its client and its newest offer (if any)."""

    entry: WaitlistEntry
    client: Client
    offer: WaitlistOffer | None


def list_entries(
    session: Session,
    *,
    status: str | None = None,
    treatment_type_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[Listed]:
    """Entries in the order they joined, each with its client and its newest offer.
    Raises InvalidInput."""
    if status is not None and status not in {s.value for s in EntryStatus}:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST + 1:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_LIST}", field="limit")
    query = select(WaitlistEntry, Client).join(
        Client, col(Client.id) == col(WaitlistEntry.client_id)
    )
    if status is not None:
        query = query.where(WaitlistEntry.status == status)
    if treatment_type_id is not None:
        validation.positive_id(treatment_type_id, "treatment_type_id")
        query = query.where(WaitlistEntry.treatment_type_id == treatment_type_id)
    if after is not None:
        joined, ident = after
        query = query.where(
            or_(
                col(WaitlistEntry.joined_at) > joined,
                and_(col(WaitlistEntry.joined_at) == joined, col(WaitlistEntry.id) > ident),
            )
        )
    query = query.order_by(col(WaitlistEntry.joined_at), col(WaitlistEntry.id)).limit(limit)
    rows = list(session.exec(query))
    newest = newest_offers(session, [pk(entry.id) for entry, _ in rows])
    return [Listed(entry, client, newest.get(pk(entry.id))) for entry, client in rows]


def newest_offers(session: Session, entry_ids: Sequence[int]) -> dict[int, WaitlistOffer]:
    """Each entry's newest offer, in one statement."""
    if not entry_ids:
        return {}
    found: dict[int, WaitlistOffer] = {}
    for offer in session.exec(
        select(WaitlistOffer)
        .where(col(WaitlistOffer.entry_id).in_(entry_ids))
        .order_by(col(WaitlistOffer.id))
    ):
        found[offer.entry_id] = offer
    return found


def encode_cursor(entry: WaitlistEntry) -> str:
    raw = f"{entry.joined_at.isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """Raises InvalidInput for a cursor this list never gave."""
    if cursor is None:
        return None
    try:
        joined, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(joined)
        entry_id = int(ident)
        if moment.utcoffset() is None or clinic_time.year_problem(moment):
            raise ValueError
        if not 1 <= entry_id <= validation.MAX_ID:
            raise ValueError
        return moment, entry_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("not a cursor this list gave", field="cursor") from None
