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
def other(database_url: str) -> Iterator[Database]:
    """Another process's connection to the same database."""
    database = Database(database_url)
    yield database
    database.dispose()


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


def everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """`snapshot` of a whole database: equal before and after means nothing was written."""
    with db.read() as session:
        return snapshot(session)


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


@pytest.fixture(scope="session")
def scratch_pg_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """One PostgreSQL database per test run and worker for tests that need a database of
    their own (migrations, the CLI, a module's shared state). It is emptied by dropping its
    schema, which is fast; creating and dropping databases forces checkpoints, which is not."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    name = f"clinic_scratch_{worker}_{os.getpid()}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_scratch(url: str) -> str:
    """The scratch database with nothing in it (extensions included); its URL."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each backend with no schema at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/var/clinic.db"  # its folder does not exist yet either
    url = request.getfixturevalue("scratch_pg_url")
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    return empty_scratch(url)


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each backend for one module's tests to share (on PostgreSQL
    the scratch database, so other modules' tests never empty it in between)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "clinic.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        scratch = request.getfixturevalue("scratch_pg_url")
        if scratch is None:
            pytest.skip("TEST_DATABASE_URL is not set")
        url = empty_scratch(scratch)
        migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
