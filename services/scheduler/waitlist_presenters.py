"""Waiting-list entries to response models; times carry the clinic's UTC offset."""

from __future__ import annotations

from typing import cast

from services.scheduler.schemas import ClientOut, Ref
from services.scheduler.waitlist_schemas import OfferOut, WaitlistEntryOut, Weekday
from shared.catalog_cache import CatalogSnapshot
from shared.models import Client, WaitlistEntry, WaitlistOffer
from shared.models.types import pk
from shared.waitlist import WEEKDAY_NAMES, weekdays_of


def entry(
    found: WaitlistEntry, client: Client, offer: WaitlistOffer | None, catalog: CatalogSnapshot
) -> WaitlistEntryOut:
    tz = catalog.tz
    treatment = catalog.offers.get(found.treatment_type_id)
    therapist = catalog.therapists.get(found.therapist_id) if found.therapist_id else None
    return WaitlistEntryOut(
        id=pk(found.id),
        status=found.status,  # type: ignore[arg-type]
        client=ClientOut(
            id=pk(client.id), name=client.name, email=client.email, phone=client.phone
        ),
        treatment_type=Ref(
            id=found.treatment_type_id,
            name=treatment.name if treatment else f"Treatment {found.treatment_type_id}",
        ),
        therapist=Ref(id=therapist.id, name=therapist.name) if therapist else None,
        first_day=found.first_day,
        last_day=found.last_day,
        mornings=found.mornings,
        afternoons=found.afternoons,
        evenings=found.evenings,
        weekdays=[cast(Weekday, WEEKDAY_NAMES[d]) for d in weekdays_of(found.weekdays)],
        notes=found.notes,
        source=found.source,
        joined_at=found.joined_at.astimezone(tz),
        booking_id=found.booking_id,
        offer=None
        if offer is None
        else OfferOut(
            id=pk(offer.id),
            status=offer.status,  # type: ignore[arg-type]
            start=offer.start_at.astimezone(tz),
            therapist_id=offer.therapist_id,
            offered_at=offer.offered_at.astimezone(tz),
            expires_at=offer.expires_at.astimezone(tz),
            answered_at=offer.answered_at.astimezone(tz) if offer.answered_at else None,
        ),
    )
