"""Offers: freed time given to the waiting list, first come first served.

An offer is a hold (a booking row occupying its time) made for the first waiting entry the
time fits; its e-mail has "Take it" and "No thanks" links whose pages act by a button.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from shared.models import OfferStatus, WaitlistEntry, WaitlistOffer


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
    if offer is None:
        return
    offer.status = OfferStatus.WITHDRAWN.value
    offer.answered_at = now
    session.add(offer)
    session.flush()
