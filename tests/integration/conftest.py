"""Fixtures for the domain on a real database: the small known clinic, and a way to see
that a refused call wrote nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from shared import migrate
from shared.booking import book
from shared.db import Database
from shared.models import Booking
from tests.conftest import BACKENDS
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


def assert_writes_nothing(db: Database, error: type[Exception], fn: Callable[[Session], Any]):
    """Run fn(session) expecting `error`, let the transaction commit anyway, and check that
    not a single row changed: a refusal must leave nothing behind, even for a caller that
    catches the error and carries on. Returns the error."""
    with db.read() as session:
        before = snapshot(session)
    with db.transaction() as session, pytest.raises(error) as caught:
        fn(session)
    with db.read() as session:
        assert snapshot(session) == before
    return caught.value


@pytest.fixture
def writes_nothing(db: Database) -> Callable[..., Any]:
    """assert_writes_nothing on this test's database."""
    return lambda error, fn: assert_writes_nothing(db, error, fn)


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each backend for one module's tests to share (its own
    PostgreSQL database, so other modules' tests can never empty it in between)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "clinic.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            pytest.skip("TEST_DATABASE_URL is not set")
        name = f"clinic_mod_{request.module.__name__.rsplit('.', 1)[-1]}_{os.getpid()}"[:63]
        admin = base.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.rsplit("/", 1)[0] + "/" + name
        migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
    if request.param == "postgresql":
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
