"""The migrations build the schema the models describe, and undo it, on both backends."""

from __future__ import annotations

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


def test_upgrade_downgrade_and_upgrade_again_leave_the_schema_the_models_describe(empty_url):
    migrate.upgrade(empty_url)
    built = tables(empty_url)
    assert built == set(SQLModel.metadata.tables)
    assert guards(empty_url) >= OVERLAP_GUARDS

    migrate.downgrade(empty_url, "base")
    assert tables(empty_url) == set()
    assert not guards(empty_url) & OVERLAP_GUARDS

    migrate.upgrade(empty_url)
    assert tables(empty_url) == built
    assert guards(empty_url) >= OVERLAP_GUARDS
    assert differences(empty_url) == []


def test_each_migration_can_be_undone_and_redone_one_step_at_a_time(empty_url):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(empty_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(empty_url, revision)
    for _ in revisions[1:]:
        migrate.downgrade(empty_url, "-1")
        migrate.upgrade(empty_url, "+1")
        migrate.downgrade(empty_url, "-1")
    migrate.upgrade(empty_url)
    assert differences(empty_url) == []


def test_accounts_made_before_staff_names_are_named_after_their_email(empty_url):
    migrate.upgrade(empty_url, "20261203_0011")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO app_user (email, password_hash, role, active, failed_logins, "
                    "created_at) VALUES ('reception@clinic.example', 'x', 'receptionist', "
                    "true, 0, CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(empty_url, "20261203_0012")
        with engine.connect() as conn:
            names = conn.execute(text("SELECT name FROM app_user")).scalars().all()
        assert names == ["Reception"]
    finally:
        engine.dispose()
