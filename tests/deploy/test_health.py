"""`/healthz` says the process answers; `/readyz` says it can serve: database up, schema current."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from services.scheduler import create_app
from shared import migrate
from shared.db import Database


def get(settings, database: Database, path: str):
    return create_app({"SETTINGS": settings, "DATABASE": database}).test_client().get(path)


def test_liveness_answers_without_the_database(settings) -> None:
    response = get(settings, Database("postgresql://nobody@127.0.0.1:1/nothing"), "/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readiness_is_200_on_a_migrated_database(settings, db) -> None:
    response = get(settings, db, "/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readiness_is_503_when_the_database_is_unreachable(settings) -> None:
    response = get(settings, Database("postgresql://nobody@127.0.0.1:1/nothing"), "/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert response.headers["Cache-Control"] == "no-store"


def test_readiness_is_503_on_a_database_never_migrated(settings, tmp_path: Path) -> None:
    response = get(settings, Database(f"sqlite:///{tmp_path / 'empty.db'}"), "/readyz")

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "schema_outdated"
    assert "clinic db upgrade" in error["message"]


def test_readiness_is_503_while_the_schema_is_one_migration_behind(settings, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    [head] = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    migrate.upgrade(url, previous)

    response = get(settings, Database(url), "/readyz")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "schema_outdated"


def test_readiness_is_200_when_the_schema_is_newer_than_this_code(settings, db) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '29991231_0001'"))
    try:
        response = get(settings, db, "/readyz")
    finally:
        [head] = ScriptDirectory.from_config(migrate.alembic_config(db.url)).get_heads()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})

    assert response.status_code == 200
