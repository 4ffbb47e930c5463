"""Fixtures for the domain on a real database: the small known clinic, and a way to see
that a refused call wrote nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from shared.booking import book
from shared.db import Database
from shared.models import Booking
from tests.factories import MONDAY, NOW, Clinic, local, make_clinic


@pytest.fixture
def clinic(db: Database) -> Clinic:
    """The factories' clinic, committed (Anna, Boris, Room 1 with a couch, Room 2, two clients)."""
    with db.transaction() as session:
        return make_clinic(session)


@pytest.fixture
def booker(db: Database, clinic: Clinic) -> Callable[..., Booking]:
    """Book and commit: booker("10:00", treatment=..., day=...) with the factories' defaults."""

    def _book(at: str, *, day: date = MONDAY, treatment: Any = None, **kwargs: Any) -> Booking:
        kwargs.setdefault("client_id", clinic.client.id)
        kwargs.setdefault("actor", "reception")
        kwargs.setdefault("now", NOW)
        with db.transaction() as session:
            return book(
                session,
                treatment_type_id=(treatment or clinic.facial).id,
                start=local(day, at),
                **kwargs,
            )

    return _book


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    out = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = session.execute(text(f'SELECT * FROM "{table.name}"')).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
def writes_nothing(db: Database) -> Callable[..., Any]:
    """Run fn(session) expecting `error`, let the transaction commit anyway, and check that
    not a single row changed: a refusal must leave nothing behind, even for a caller that
    catches the error and carries on."""

    def check(error: type[Exception], fn: Callable[[Session], Any]) -> Exception:
        with db.read() as session:
            before = snapshot(session)
        with db.transaction() as session, pytest.raises(error) as caught:
            fn(session)
        with db.read() as session:
            assert snapshot(session) == before
        return caught.value

    return check
