"""Offers: freed time given to the waiting list, first come first served.

Each round (`match`, on every worker tick, so that every way time frees up is caught: a
cancellation, a move, a lapsed hold or offer, time off or a closure removed, hours widened)
lets lapsed offers and past entries go, then walks the waiting entries in the order they
joined and offers each the first free time that suits it: a hold (`shared.holds`) for the
clinic's offer period and an e-mail whose "Take it" and "No thanks" links open pages that act
by a button. The entries are locked in line order, so a second worker waits for the first
and then sees its offers; the partial unique index allows an entry one open offer, and the
booking guards keep two offers off one time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from shared import clinic_time, holds, validation
from shared.availability import MAX_RANGE_DAYS, find_availability
from shared.catalog_cache import CatalogSnapshot, catalog_snapshot
from shared.db import append_rows
from shared.errors import BookingConflict, BookingRefused, Conflict, NotFound
from shared.models import (
    Booking,
    BookingStatus,
    Client,
    EntryStatus,
    MessageKind,
    OfferStatus,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
)
from shared.models.types import pk
from shared.slots import Slot
from shared.waitlist import fits

SOURCE = "waitlist"
ACTOR = "clinic (waiting list)"
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class OfferGone(Conflict):
    """The offer was declined, lapsed or withdrawn: its time is no longer held for the client."""

    code = "offer_gone"


@dataclass(frozen=True)
class Round:
    """What one matching round did."""

    offered: list[WaitlistOffer]
    lapsed: int
    expired_entries: int


def match(session: Session, *, now: datetime) -> Round:
    """One round: lapsed offers and past entries let go, then each waiting entry, in line
    order, offered the first free time that suits it. Running it again changes nothing."""
    now = clinic_time.require_aware(now, "now")
    catalog = catalog_snapshot(session)
    today = clinic_time.local_date(now, catalog.tz)
    lapsed = _lapse_offers(session, now)
    expired = _expire_entries(session, today, now)
    entries = session.exec(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == EntryStatus.WAITING.value)
        .order_by(col(WaitlistEntry.joined_at), col(WaitlistEntry.id))
        .with_for_update()  # every one: a later entry must not starve behind the first ones
    ).all()
    # Times offered before (declined or lapsed) went on to the next in line: never again.
    passed: dict[int, list[datetime]] = {}
    for entry_id, start in (
        ()
        if not entries
        else session.exec(
            select(WaitlistOffer.entry_id, WaitlistOffer.start_at).where(
                col(WaitlistOffer.entry_id).in_([pk(e.id) for e in entries])
            )
        ).all()
    ):
        passed.setdefault(entry_id, []).append(start)
    offered: list[WaitlistOffer] = []
    lasts = timedelta(hours=catalog.offer_hours)
    for entry in entries:
        made = _offer_first_fit(
            session,
            entry,
            catalog,
            passed.get(pk(entry.id), []),
            today=today,
            now=now,
            lasts=lasts,
        )
        if made is not None:
            offered.append(made)
    return Round(offered, lapsed, expired)


def _offer_first_fit(
    session: Session,
    entry: WaitlistEntry,
    catalog: CatalogSnapshot,
    passed_starts: list[datetime],
    *,
    today: date,
    now: datetime,
    lasts: timedelta,
) -> WaitlistOffer | None:
    """The first free time that suits the entry and was not offered it before, held for it."""
    treatment = catalog.offers.get(entry.treatment_type_id)
    if treatment is None or not treatment.active:
        return None  # retired meanwhile: the entry waits, and the receptionist sees why
    passed = [(start, start + treatment.duration) for start in passed_starts]
    day = max(entry.first_day, today)
    while day <= entry.last_day:
        end = min(entry.last_day, day + timedelta(days=MAX_RANGE_DAYS - 1))
        try:
            found = find_availability(
                session,
                treatment_type_id=entry.treatment_type_id,
                start=day,
                end=end,
                now=now,
                therapist_id=entry.therapist_id,
            )
        except (BookingRefused, NotFound):  # a therapist named by the entry left meanwhile
            return None
        for slot in found.slots:
            if not fits(entry, slot.start, catalog.tz) or any(
                slot.start < end and start < slot.end for start, end in passed
            ):
                continue
            made = _offer(session, entry, slot, now=now, lasts=lasts)
            if made is not None:
                return made
        day = end + timedelta(days=1)
    return None


def _offer(
    session: Session, entry: WaitlistEntry, slot: Slot, *, now: datetime, lasts: timedelta
) -> WaitlistOffer | None:
    """Hold the slot for the entry and write the offer and its e-mail; None when the time is
    no longer free for this client (their own session in the way, or a racing writer)."""
    until = min(now + lasts, slot.start)
    try:
        with session.begin_nested():  # a refusal undoes this attempt only
            hold = holds.hold(
                session,
                treatment_type_id=entry.treatment_type_id,
                start=slot.start,
                client_id=entry.client_id,
                therapist_id=slot.therapist_id,
                actor=ACTOR,
                now=now,
                source=SOURCE,
                lasts=until - now,
            )
            offer = WaitlistOffer(
                entry_id=pk(entry.id),
                booking_id=pk(hold.id),
                start_at=slot.start,
                therapist_id=slot.therapist_id,
                token=secrets.token_urlsafe(24),
                offered_at=now,
                expires_at=until,
            )
            session.add(offer)
            entry.status = EntryStatus.OFFERED.value
            entry.updated_at = now
            session.add(entry)
            session.flush()
            _mail(session, hold, offer)
    except (BookingConflict, BookingRefused):
        return None
    return offer


def _mail(session: Session, hold: Booking, offer: WaitlistOffer) -> None:
    client = session.get(Client, hold.client_id)
    if client is None or not client.email:
        return  # the receptionist sees the offer on the waiting list and may call
    append_rows(
        session,
        OutboxMessage,
        [
            {
                "booking_id": pk(hold.id),
                "kind": MessageKind.OFFER.value,
                "recipient": client.email,
                "recipient_role": "client",
                "booking_sequence": hold.sequence,
            }
        ],
    )


def _lapse_offers(session: Session, now: datetime) -> int:
    """Open offers past their time let go (their holds too), their entries back in line."""
    lapsed = session.exec(
        select(WaitlistOffer.id).where(
            WaitlistOffer.status == OfferStatus.OPEN.value,
            col(WaitlistOffer.expires_at) <= now,
        )
    ).all()
    closed = 0
    for offer_id in lapsed:
        _, offer = _lock(session, pk(offer_id))
        if offer.status == OfferStatus.OPEN.value and offer.expires_at <= now:
            _close(session, offer, OfferStatus.EXPIRED, now, reason="offer not taken in time")
            closed += 1
    return closed


def _lock(session: Session, offer_id: int) -> tuple[WaitlistEntry, WaitlistOffer]:
    """An offer and its entry, read again under their row locks, always entry first (the
    order every writer of both takes, so none waits for another in a circle)."""
    offer = session.get(WaitlistOffer, offer_id)
    if offer is None:  # pragma: no cover - offers are never deleted but with their entry
        raise NotFound("This link is not one we sent", field="token")
    entry = session.get(WaitlistEntry, offer.entry_id, with_for_update=True, populate_existing=True)
    offer = session.get(WaitlistOffer, offer_id, with_for_update=True, populate_existing=True)
    if entry is None or offer is None:  # pragma: no cover - kept by foreign keys
        raise NotFound("This link is not one we sent", field="token")
    return entry, offer


def _expire_entries(session: Session, today: date, now: datetime) -> int:
    """Entries whose last day has passed leave the list (an open offer is withdrawn)."""
    past = session.exec(
        select(WaitlistEntry)
        .where(
            col(WaitlistEntry.status).in_([EntryStatus.WAITING.value, EntryStatus.OFFERED.value]),
            col(WaitlistEntry.last_day) < today,
        )
        .with_for_update()
    ).all()
    for entry in past:
        withdraw_open_offer(session, entry, actor=ACTOR, now=now)
        entry.status = EntryStatus.EXPIRED.value
        entry.updated_at = now
        session.add(entry)
    session.flush()
    return len(past)


def _close(
    session: Session,
    offer: WaitlistOffer,
    status: OfferStatus,
    now: datetime,
    *,
    reason: str,
    actor: str = ACTOR,
) -> None:
    """An open offer ends without a booking: its hold let go, its entry waiting again."""
    offer.status = status.value
    offer.answered_at = now
    session.add(offer)
    hold = session.get(Booking, offer.booking_id)
    if hold is not None and hold.status == BookingStatus.HELD.value and hold.hold_token:
        holds.release(session, hold.hold_token, now=now, actor=actor, reason=reason)
    entry = session.get(WaitlistEntry, offer.entry_id)
    if entry is not None and entry.status == EntryStatus.OFFERED.value:
        entry.status = EntryStatus.WAITING.value
        entry.updated_at = now
        session.add(entry)
    session.flush()


def open_offer(session: Session, entry: WaitlistEntry) -> WaitlistOffer | None:
    return session.exec(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OfferStatus.OPEN.value
        )
    ).first()


def withdraw_open_offer(
    session: Session, entry: WaitlistEntry, *, actor: str, now: datetime
) -> None:
    """The entry's open offer, if any, is withdrawn and its time freed."""
    offer = open_offer(session, entry)
    if offer is not None:
        _close(session, offer, OfferStatus.WITHDRAWN, now, reason="taken off the waiting list")


# -- the receptionist's answer for the client ------------------------------------------------

DECLINED_BY_PHONE = "declined by phone"


def withdraw(session: Session, offer_id: int, *, actor: str, now: datetime) -> WaitlistOffer:
    """An open offer withdrawn at the client's word (a phone call saying no): its time goes to
    the next in line and the client waits for other times, as after a decline.
    Raises InvalidInput, NotFound, OfferGone (taken, declined, lapsed or withdrawn already)."""
    now = clinic_time.require_aware(now, "now")
    actor = validation.text(actor, "actor", max_len=200)
    validation.positive_id(offer_id, "offer_id")
    if session.get(WaitlistOffer, offer_id) is None:
        raise NotFound(f"No offer with id {offer_id}", field="offer_id")
    _, offer = _lock(session, offer_id)
    if offer.status != OfferStatus.OPEN.value or offer.expires_at <= now:
        raise OfferGone(_gone_for_staff(offer, now), field="offer_id")
    _close(session, offer, OfferStatus.DECLINED, now, reason=DECLINED_BY_PHONE, actor=actor)
    return offer


def release_hold(
    session: Session, booking_id: int, *, expected_sequence: int, actor: str, now: datetime
) -> Booking:
    """A hold let go from its booking page: a waiting-list offer's is withdrawn as by
    `withdraw` (its time to the next in line), any other let go by `holds.let_go`.
    Raises as `holds.let_go`."""
    validation.positive_id(booking_id, "booking_id")
    offer = session.exec(
        select(WaitlistOffer).where(
            WaitlistOffer.booking_id == booking_id, WaitlistOffer.status == OfferStatus.OPEN.value
        )
    ).first()
    if offer is None:
        return holds.let_go(
            session, booking_id, expected_sequence=expected_sequence, actor=actor, now=now
        )
    now = clinic_time.require_aware(now, "now")
    actor = validation.text(actor, "actor", max_len=200)
    _, offer = _lock(session, pk(offer.id))  # entry and offer first, the order every writer takes
    hold = holds.locked_hold(session, booking_id, expected_sequence=expected_sequence)
    if offer.status == OfferStatus.OPEN.value:
        _close(session, offer, OfferStatus.DECLINED, now, reason=DECLINED_BY_PHONE, actor=actor)
    return hold


def _gone_for_staff(offer: WaitlistOffer, now: datetime) -> str:
    if offer.status == OfferStatus.TAKEN.value:
        return "The client took this offer meanwhile: it is a booking now (cancel it instead)"
    if offer.status == OfferStatus.DECLINED.value:
        return "This offer was declined already: its time went to the next in line"
    if offer.status == OfferStatus.WITHDRAWN.value:
        return "This offer was withdrawn already (the entry left the waiting list)"
    return "This offer lapsed already: its time went to the next in line"


# -- the client's answer -------------------------------------------------------------------


@dataclass(frozen=True)
class OfferView:
    """An offer as its page shows it."""

    offer: WaitlistOffer
    hold: Booking
    client_name: str
    treatment: str
    therapist: str
    tz: clinic_time.ZoneInfo
    now: datetime

    @property
    def open(self) -> bool:
        """Open and not past its time (the worker's round may not have lapsed it yet)."""
        return self.offer.status == OfferStatus.OPEN.value and self.now < self.offer.expires_at

    @property
    def state(self) -> str:
        if self.offer.status == OfferStatus.OPEN.value and not self.open:
            return OfferStatus.EXPIRED.value
        return self.offer.status


def find_offer(session: Session, token: str) -> WaitlistOffer:
    """The offer a link names. Raises NotFound."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64 or not set(token) <= _TOKEN_CHARS:
        raise NotFound("This link is not one we sent", field="token")
    offer = session.exec(select(WaitlistOffer).where(WaitlistOffer.token == token)).first()
    if offer is None:
        raise NotFound("This link is not one we sent", field="token")
    return offer


def view(session: Session, token: str, *, now: datetime) -> OfferView:
    """What the offer's page shows (reads only; an offer past its time shows as lapsed even
    before the worker's round). Raises NotFound."""
    offer = find_offer(session, token)
    hold = session.get(Booking, offer.booking_id)
    client = session.get(Client, hold.client_id) if hold is not None else None
    if hold is None or client is None:  # pragma: no cover - kept by foreign keys
        raise NotFound("This link is not one we sent", field="token")
    catalog = catalog_snapshot(session)
    therapist = catalog.therapists.get(hold.therapist_id)
    treatment = catalog.offers.get(hold.treatment_type_id)
    return OfferView(
        offer=offer,
        hold=hold,
        client_name=client.name,
        treatment=treatment.name if treatment else "Appointment",
        therapist=therapist.name if therapist else "",
        tz=catalog.tz,
        now=clinic_time.require_aware(now, "now"),
    )


def take(session: Session, token: str, *, now: datetime) -> Booking:
    """The client takes the offered time: the hold becomes a booking (with the usual
    invitation) and the entry leaves the list. Taking a taken offer again changes nothing:
    two clicks, one booking. Raises NotFound, OfferGone (declined, lapsed or withdrawn)."""
    now = clinic_time.require_aware(now, "now")
    entry, offer = _lock(session, pk(find_offer(session, token).id))
    hold = session.get(Booking, offer.booking_id)
    if offer.status == OfferStatus.TAKEN.value and hold is not None:
        return hold
    if offer.status != OfferStatus.OPEN.value or offer.expires_at <= now or hold is None:
        raise OfferGone(_gone(offer, now), field="token")
    if not hold.hold_token:  # pragma: no cover - every hold has its token
        raise OfferGone(_gone(offer, now), field="token")
    booked = holds.confirm(session, hold.hold_token, now=now, actor="client (waiting list)")
    offer.status = OfferStatus.TAKEN.value
    offer.answered_at = now
    entry.status = EntryStatus.BOOKED.value
    entry.booking_id = booked.id
    entry.updated_at = now
    session.add_all([offer, entry])
    session.flush()
    return booked


def decline(session: Session, token: str, *, now: datetime) -> WaitlistOffer:
    """The client says no thanks: the time passes to the next in line and the client stays
    on the list for other times. Declining again changes nothing.
    Raises NotFound, OfferGone (already taken: cancel the booking instead)."""
    now = clinic_time.require_aware(now, "now")
    _, offer = _lock(session, pk(find_offer(session, token).id))
    if offer.status == OfferStatus.OPEN.value:
        _close(session, offer, OfferStatus.DECLINED, now, reason="declined by the client")
        return offer
    if offer.status == OfferStatus.TAKEN.value:
        raise OfferGone(
            "You took this time already: to cancel it, use the link in your booking e-mail",
            field="token",
        )
    return offer


def _gone(offer: WaitlistOffer, now: datetime) -> str:
    if offer.status == OfferStatus.DECLINED.value:
        return "You declined this time, so it was offered to someone else"
    if offer.status == OfferStatus.WITHDRAWN.value:
        return "This offer was withdrawn: you are no longer on the waiting list for it"
    return "This offer lapsed and the time was offered to someone else"


def offers_of(session: Session, booking_ids: Sequence[int]) -> dict[int, tuple[str, datetime]]:
    """For held bookings that are open offers: the client's name and until when, by booking
    (the day view labels them "offered to Eva H. until 14:30")."""
    if not booking_ids:
        return {}
    rows = session.exec(
        select(WaitlistOffer.booking_id, Client.name, WaitlistOffer.expires_at)
        .join(WaitlistEntry, col(WaitlistEntry.id) == col(WaitlistOffer.entry_id))
        .join(Client, col(Client.id) == col(WaitlistEntry.client_id))
        .where(
            col(WaitlistOffer.booking_id).in_(list(booking_ids)),
            WaitlistOffer.status == OfferStatus.OPEN.value,
        )
    ).all()
    return {booking_id: (name, until) for booking_id, name, until in rows}
