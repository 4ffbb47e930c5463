"""The README's backup and restore (pg_dump -Fc, dropdb, createdb, pg_restore), for real."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from sqlmodel import select

from services.scheduler import create_app
from shared import booking, migrate
from shared.catalog import rotate_feed_token
from shared.config import Settings
from shared.db import Database
from shared.models import Booking
from tests.factories import MONDAY, NOW, local, make_clinic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("deploy"),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set"
    ),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def admin_url() -> str:
    return os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


def client_args() -> list[str]:
    """-h/-p/-U for the PostgreSQL client programs, from TEST_DATABASE_URL."""
    parts = urlsplit(admin_url())
    return [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]


def pg(*cmd: str, stdin: Path | None = None) -> None:
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        done = subprocess.run(
            [cmd[0], *client_args(), *cmd[1:]],
            stdin=source,
            capture_output=True,
            timeout=120,
            check=False,
            env={**os.environ, "PGPASSWORD": urlsplit(admin_url()).password or ""},
        )
    assert done.returncode == 0, done.stderr.decode()


@pytest.fixture
def database_name() -> Iterator[str]:
    name = f"clinic_backup_{os.getpid()}"
    yield name
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_a_recreated_database_serves_the_same_bookings_and_feeds(
    database_name: str, tmp_path: Path
) -> None:
    pg("createdb", database_name)
    url = admin_url().rsplit("/", 1)[0] + "/" + database_name
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        clinic = make_clinic(session)
        feed_token = rotate_feed_token(session, clinic.anna)
        made = booking.book(
            session,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="test",
            now=NOW,
        )
        uid, access_token = made.uid, made.access_token
    dump = tmp_path / "clinic.dump"

    pg("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", "-d", database_name)
    with database.transaction() as session:  # what the backup must undo
        booking.cancel(session, made.id, actor="test", now=NOW)
    database.dispose()
    pg("dropdb", database_name)
    pg("createdb", database_name)
    pg("pg_restore", "--no-owner", "--exit-on-error", "-d", database_name, stdin=dump)

    restored = Database(url)
    try:
        with restored.read() as session:
            row = session.exec(select(Booking).where(Booking.uid == uid)).one()
            assert (row.status, row.access_token) == ("booked", access_token)
        settings = Settings(database_url=url, secret_key="k" * 40, log_format="text")
        http = create_app({"SETTINGS": settings, "DATABASE": restored}).test_client()
        assert http.get("/readyz").status_code == 200
        feed = http.get(f"/feeds/therapist/{feed_token}.ics")
        assert feed.status_code == 200
        assert uid in feed.get_data(as_text=True).replace("\r\n ", "")
    finally:
        restored.dispose()
