"""Finding, registering, correcting and removing clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, bindparam, case, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from shared import clinic_locale, search_text, validation
from shared.db import as_loaded
from shared.errors import Conflict, DuplicateName, InvalidInput, NotFound
from shared.explanations import counted
from shared.models import Booking, Client, Clinic
from shared.models.types import utcnow

SEARCH_LIMIT = 12


def get_client(session: Session, client_id: int, *, field: str = "client_id") -> Client:
    validation.positive_id(client_id, field)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"No client with id {client_id}", field=field)
    return client


def client_by_email(session: Session, email: str) -> Client | None:
    """The client registered with this e-mail, if any (reads only). Raises InvalidInput."""
    address = validation.email(email)
    return session.exec(select(Client).where(Client.email == address)).first()


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


_BY_ADDRESS = select(Client).where(col(Client.email) == bindparam("email"))  # built once


def _register_statement(insert: Any) -> Any:
    """INSERT a client, or on a known address return the row as it is, adding a phone
    number it lacked: one statement either way, built once per dialect."""
    table = Client.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(
        name=bindparam("name"),
        email=bindparam("email"),
        phone=bindparam("phone"),
        notes="",
        created_at=bindparam("created_at"),
        search_key=bindparam("search_key"),
        phone_digits=bindparam("phone_digits"),
    )
    lacks_phone = table.c.phone == ""
    keep_or_fill = case((lacks_phone, statement.excluded.phone), else_=table.c.phone)
    digits = case((lacks_phone, statement.excluded.phone_digits), else_=table.c.phone_digits)
    return statement.on_conflict_do_update(
        index_elements=["email"], set_={"phone": keep_or_fill, "phone_digits": digits}
    ).returning(*table.c)


_REGISTER = {
    "sqlite": _register_statement(sqlite_insert),
    "postgresql": _register_statement(pg_insert),
}
_CLIENT_COLUMNS = tuple(Client.__table__.c.keys())  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Registration:
    """A client given by name and e-mail, checked: found by the address, or registered, by
    one statement (`register`, or the placement's own, which holds them in the same step)."""

    params: dict[str, Any]


def registration(*, name: str, email: str, phone: str = "") -> Registration:
    """Raises InvalidInput."""
    address = validation.email(email)
    name = validation.text(name, "name", max_len=200)
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    return Registration(
        {
            "name": name,
            "email": address,
            "phone": phone,
            "created_at": utcnow(),
            "search_key": search_text.search_key(name, address),
            "phone_digits": search_text.digits(phone),
        }
    )


def register_statement(dialect: str) -> Any:
    """The INSERT ... ON CONFLICT DO UPDATE ... RETURNING that runs a `Registration`."""
    return _REGISTER[dialect]


def register(session: Session, given: Registration) -> Client:
    """The client with this e-mail, or a new one (see `find_or_create_client`)."""
    statement = register_statement(session.get_bind().dialect.name)
    row = session.connection().execute(statement, given.params).one()  # Core: no ORM bulk
    return registered(session, row._mapping)


def registered(session: Session, row: RowMapping) -> Client:
    """The session's Client for a row a registering statement returned."""
    return as_loaded(session, Client, {name: row[name] for name in _CLIENT_COLUMNS})


def find_or_create_client(
    session: Session, *, name: str, email: str | None, phone: str = ""
) -> Client:
    """The client with this e-mail, or a new one; a client without e-mail is always new.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING registers a new address or returns the
    client already on file (a returning client keeps their name; a phone number is added only
    where none was known), so two requests registering one address at once book for the same
    client. Raises InvalidInput.
    """
    if not email:
        return create_client(session, name=name, email=email, phone=phone)
    return register(session, registration(name=name, email=email, phone=phone))


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


def delete_client(session: Session, client_id: int) -> None:
    """Remove a client who has never had a session (one with sessions on record is kept, as
    their history is the clinic's record). Raises InvalidInput, NotFound, Conflict."""
    client = get_client(session, client_id, field="id")
    sessions = session.exec(
        select(func.count()).select_from(Booking).where(col(Booking.client_id) == client.id)
    ).one()
    if sessions:
        raise Conflict(
            f"{client.name} has {counted(sessions, 'session')} on record, so the client is kept; "
            "correct the details instead"
        )
    session.delete(client)
    session.flush()


def search_clients(session: Session, q: str, *, limit: int = SEARCH_LIMIT) -> list[Client]:
    """Clients whose name or e-mail contains `q` without regard to case or accents ("bozic"
    finds "Božič"), or whose phone holds the number typed in any common format ("040 474 696"
    finds "+386 40 474 696"), by name; nothing for fewer than two characters (one Chinese
    character is enough).
    Raises InvalidInput."""
    if not isinstance(q, str):
        raise InvalidInput("expected text to search for", field="q")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise InvalidInput("must be a whole number from 1 to 100", field="limit")
    q = validation.text(q, "q", max_len=200, required=False)
    if not search_text.long_enough(q):
        return []
    condition = matching(q, calling_code=calling_code(session))
    query = select(Client).where(condition).order_by(col(Client.name)).limit(limit)
    return list(session.exec(query))


def matching(q: str, *, calling_code: str) -> Any:
    """The condition search puts on clients (also used by the dashboard's client list)."""
    folded = search_text.fold(q)
    conditions = [col(Client.search_key).contains(folded, autoescape=True)]
    number = search_text.national_digits(q, calling_code)
    if len(number) >= 3:
        conditions.append(col(Client.phone_digits).contains(number, autoescape=True))
    return or_(*conditions)


def ids_matching(q: str, *, calling_code: str) -> Any:
    """The ids of the clients search finds, as a subquery (lists of bookings filter on it)."""
    return select(col(Client.id)).where(matching(q, calling_code=calling_code))


def calling_code(session: Session) -> str:
    """The clinic's country calling code, which a number typed with it may leave out."""
    return clinic_locale.of_clinic(session.get(Clinic, 1)).calling_code
