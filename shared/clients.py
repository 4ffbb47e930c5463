"""Finding and registering clients."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from shared import validation
from shared.errors import DuplicateName, NotFound
from shared.models import Client
from shared.models.types import utcnow


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
    """The client with this e-mail, or a new one; a client without e-mail is always new.

    A new address is registered with one INSERT ... ON CONFLICT DO NOTHING, so two requests
    registering it at once both book for the same client. Raises InvalidInput.
    """
    if not email:
        return create_client(session, name=name, email=email, phone=phone)
    address = validation.email(email)
    name = validation.text(name, "name", max_len=200)
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    by_address = select(Client).where(Client.email == address)
    existing = session.exec(by_address).first()
    if existing is None:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        registered = session.scalars(
            insert(Client)
            .values(name=name, email=address, phone=phone, notes="", created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["email"])
            .returning(Client)
        ).first()
        if registered is not None:
            return registered
        existing = session.exec(by_address).one()  # registered a moment ago by another request
    if phone and not existing.phone:
        existing.phone = phone
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
