"""A write names its client by id, or gives one by name and e-mail (found or registered)."""

from __future__ import annotations

from sqlmodel import Session

from services.scheduler.schemas import ClientIn
from shared.clients import find_or_create_client
from shared.models import Client

IDEMPOTENT = {"Idempotency-Key": "Retrying with the same key returns the first response"}


def given_client(session: Session, given: ClientIn | None) -> Client | None:
    """The client a request gives by name and e-mail, found or registered; None for one named
    by id. Callers hold the row, so the session's identity map keeps it for the write."""
    if given is None:
        return None
    return find_or_create_client(session, name=given.name, email=given.email, phone=given.phone)
