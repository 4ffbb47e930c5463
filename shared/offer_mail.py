"""The waiting-list offer e-mail: the time held for the client, and the pages that answer it.

Both links open a page whose button acts (mail scanners open every link); nothing is sent for
an offer no longer open by the time the worker renders it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from shared.clinic_locale import of_clinic
from shared.invites import (
    Body,
    Recipient,
    first_name,
    plain_email,
    session_details,
    treatment_name,
    when_short,
)
from shared.models import Booking, Clinic, OfferStatus, OutboxMessage, WaitlistOffer


def take_link(base_url: str, offer: WaitlistOffer) -> str:
    return f"{base_url.rstrip('/')}/book/offer/{offer.token}"


def decline_link(base_url: str, offer: WaitlistOffer) -> str:
    return f"{base_url.rstrip('/')}/book/offer/{offer.token}/decline"


def plan(
    session: Session,
    msg: OutboxMessage,
    booking: Booking,
    clinic: Clinic,
    *,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> EmailMessage | str:
    """The offer's e-mail, or why it is not to be sent (taken, declined or lapsed meanwhile)."""
    offer = session.exec(
        select(WaitlistOffer).where(WaitlistOffer.booking_id == booking.id)
    ).first()
    if offer is None:
        return "no offer holds this time"
    if offer.status != OfferStatus.OPEN.value:
        return f"the offer is {offer.status}"
    if offer.expires_at <= now:
        return "the offer has lapsed"
    return offer_message(
        booking,
        offer,
        clinic,
        recipient=recipient,
        mail_from=mail_from,
        message_id=message_id,
        now=now,
        base_url=base_url,
    )


def offer_message(
    booking: Booking,
    offer: WaitlistOffer,
    clinic: Clinic,
    *,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> EmailMessage:
    tz, loc = ZoneInfo(clinic.timezone), of_clinic(clinic)
    take, decline = take_link(base_url, offer), decline_link(base_url, offer)
    subject = f"A time for you: {treatment_name(booking)}, {when_short(booking.start_at, tz, loc)}"
    body = Body(
        subject=subject,
        paragraphs=[
            f"Dear {first_name(recipient.name)},",
            "a time you were waiting for has come free, and we are holding it for you:",
            session_details(booking, clinic, tz),
            f"Take it by {when_short(offer.expires_at, tz, loc)}; after that it goes to the next "
            f"person on the waiting list:\n{take}",
            f"No thanks (you stay on the waiting list for other times):\n{decline}",
        ],
        link=("Take it", take),
    )
    return plain_email(body, clinic, recipient, mail_from, message_id, now)
