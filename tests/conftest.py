"""Fixtures: a migrated database per test on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by running the Alembic migrations once per session (per xdist worker);
each test then starts from empty tables (SQLite: a fresh copy of the migrated file;
PostgreSQL: TRUNCATE), so tests may commit for real, as races and processes need.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import shared.models  # noqa: F401
from shared import migrate
from shared.config import Settings
from shared.db import Database

BACKENDS = ["sqlite", "postgresql"]


def _pg_base_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _worker(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    base = _pg_base_url()
    if base is None:
        yield None
        return
    # One database per test run and worker, so parallel runs never share one.
    name = f"clinic_test_{_worker(request)}_{os.getpid()}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty database of each backend; PostgreSQL is skipped without TEST_DATABASE_URL."""
    if request.param == "sqlite":
        path = tmp_path / "clinic.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    database = Database(url)
    _truncate(database)
    database.dispose()
    yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_base_url="https://clinic.example",
        mail_from="reception@clinic.example",
        log_format="text",
    )
