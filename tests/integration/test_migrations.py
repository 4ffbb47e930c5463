"""The migrations build the schema the models describe, and undo it, on both backends."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import shared.models  # noqa: F401 - every table on the metadata
from shared import migrate
from shared.db import make_engine

OVERLAP_GUARDS = {
    "booking_no_therapist_overlap",
    "booking_no_room_overlap",
    "booking_no_client_overlap",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> Iterator[str]:
    """An empty database of its own (never the one other tests share)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/clinic.db"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"clinic_migrations_{os.getpid()}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def guards(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                rows = conn.execute(
                    text("SELECT conname FROM pg_constraint WHERE contype = 'x'")
                ).all()
                return {r[0] for r in rows}
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
            return {r[0].rsplit("_", 1)[0] for r in rows}  # one trigger per INSERT and UPDATE
    finally:
        engine.dispose()


def differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again_leave_the_schema_the_models_describe(fresh_url):
    migrate.upgrade(fresh_url)
    built = tables(fresh_url)
    assert built == set(SQLModel.metadata.tables)
    assert guards(fresh_url) >= OVERLAP_GUARDS

    migrate.downgrade(fresh_url, "base")
    assert tables(fresh_url) == set()
    assert not guards(fresh_url) & OVERLAP_GUARDS

    migrate.upgrade(fresh_url)
    assert tables(fresh_url) == built
    assert guards(fresh_url) >= OVERLAP_GUARDS
    assert differences(fresh_url) == []


def test_each_migration_can_be_undone_and_redone_one_step_at_a_time(fresh_url):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(fresh_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(fresh_url, revision)
    for _ in revisions[1:]:
        migrate.downgrade(fresh_url, "-1")
        migrate.upgrade(fresh_url, "+1")
        migrate.downgrade(fresh_url, "-1")
    migrate.upgrade(fresh_url)
    assert differences(fresh_url) == []
