"""A write names its client by id, or gives one by name and e-mail (found or registered)."""

from __future__ import annotations

from sqlmodel import Session

from services.scheduler.schemas import ClientIn
from shared.clients import Registration, find_or_create_client, registration
from shared.models import Client
from shared.models.types import pk

IDEMPOTENT = {"Idempotency-Key": "Retrying with the same key returns the first response"}


def given_client(session: Session, given: ClientIn | None) -> Client | None:
    """The client a request gives by name and e-mail, found or registered; None for one named
    by id. Callers hold the row, so the session's identity map keeps it for the write."""
    if given is None:
        return None
    return find_or_create_client(session, name=given.name, email=given.email, phone=given.phone)


def booking_client(
    session: Session, given: ClientIn | None, client_id: int | None
) -> tuple[int | None, Registration | None]:
    """`book`'s client: (client_id, None) for one named by id or given without an e-mail
    (always a new client, registered now); (None, registration) for one given with an e-mail,
    which the booking finds or registers in the statement that holds the calendars.
    Raises InvalidInput."""
    if given is None:
        return client_id, None
    if given.email:
        return None, registration(name=given.name, email=given.email, phone=given.phone)
    client = find_or_create_client(session, name=given.name, email=None, phone=given.phone)
    return pk(client.id), None
