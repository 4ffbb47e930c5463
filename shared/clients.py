"""Finding and registering clients."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shared import validation
from shared.errors import DuplicateName, NotFound
from shared.models import Client


def get_client(session: Session, client_id: int, *, field: str = "client_id") -> Client:
    validation.positive_id(client_id, field)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"No client with id {client_id}", field=field)
    return client


def create_client(
    session: Session, *, name: str, email: str | None = None, phone: str = "", notes: str = ""
) -> Client:
    """Raises InvalidInput, DuplicateName (an e-mail already registered)."""
    name = validation.text(name, "name", max_len=200)
    address = validation.email(email) if email else None
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    if address and session.exec(select(Client).where(Client.email == address)).first():
        raise DuplicateName(f"A client with e-mail {address} already exists", field="email")
    client = Client(name=name, email=address, phone=phone, notes=notes or "")
    session.add(client)
    session.flush()
    return client


def find_or_create_client(
    session: Session, *, name: str, email: str | None, phone: str = ""
) -> Client:
    """The client with this e-mail, or a new one; a client without e-mail is always new."""
    if not email:
        return create_client(session, name=name, email=email, phone=phone)
    address = validation.email(email)
    existing = session.exec(select(Client).where(Client.email == address)).first()
    if existing is None:
        try:
            with session.begin_nested():
                return create_client(session, name=name, email=address, phone=phone)
        except (IntegrityError, DuplicateName):
            # Another request registered this address a moment ago: book for that client.
            existing = session.exec(select(Client).where(Client.email == address)).one()
    validation.text(name, "name", max_len=200)
    if phone and not existing.phone:
        existing.phone = validation.text(phone, "phone", max_len=50, required=False)
    return existing


def update_client(
    session: Session,
    client_id: int,
    *,
    name: str,
    email: str | None = None,
    phone: str = "",
    notes: str = "",
) -> Client:
    """Correct a client's details. Raises InvalidInput, NotFound, DuplicateName."""
    client = get_client(session, client_id)
    name = validation.text(name, "name", max_len=200)
    address = validation.email(email) if email else None
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    notes = validation.text(notes or "", "notes", max_len=5000, required=False)
    if address:
        clash = session.exec(select(Client).where(Client.email == address)).first()
        if clash is not None and clash.id != client.id:
            raise DuplicateName(f"Another client already uses {address}", field="email")
    client.name, client.email, client.phone, client.notes = name, address, phone, notes
    session.add(client)
    session.flush()
    return client
