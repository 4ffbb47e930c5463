"""The `clinic` command, run as operators run it: a subprocess against DATABASE_URL."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select

from shared.db import Database
from shared.migrate import alembic_config
from shared.models import ApiKey, Booking, Room, Therapist, TreatmentType

CLINIC = str(Path(sys.executable).with_name("clinic"))


def clinic(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": url,
        "CLINIC_ENV": "development",
        "LOG_JSON": "false",
    }
    return subprocess.run(
        [CLINIC, *args], env=env, capture_output=True, text=True, timeout=180, input=stdin
    )


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.read() as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (TreatmentType, Therapist, Room, Booking, ApiKey)
            }
    finally:
        database.dispose()


def test_db_upgrade_then_demo_data_once_then_an_api_key_shown_once(empty_url):
    done = clinic(empty_url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    # each revision applied is a log line (stderr), then where the database stands
    lines = done.stderr.splitlines()
    assert any(f"applied {head_revision()}" in line for line in lines)
    assert f"database at head ({head_revision()})" in lines[-1]

    loaded = clinic(empty_url, "demo-data")
    assert loaded.returncode == 0, loaded.stderr
    assert "demo clinic loaded" in loaded.stdout
    assert "receptionist: reception@lotus-clinic.example" in loaded.stdout
    assert "api_key: csk_" in loaded.stdout
    first = counts(empty_url)
    assert first["TreatmentType"] == 7 and first["Therapist"] == 4 and first["Room"] == 3
    assert first["Booking"] > 50

    again = clinic(empty_url, "demo-data")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "the database already holds a clinic: demo data not loaded"
    assert counts(empty_url) == first

    made = clinic(empty_url, "api-key", "create", "website")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("csk_") and len(key) > 40 and "\n" not in key
    database = Database(empty_url)
    try:
        with database.read() as session:
            row = session.exec(select(ApiKey).where(ApiKey.name == "website")).one()
            assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
            assert key not in row.model_dump_json()
    finally:
        database.dispose()

    twice = clinic(empty_url, "api-key", "create", "website")
    assert twice.returncode == 1
    assert twice.stderr.strip() == "error (name): An API key named 'website' already exists"
    assert key not in twice.stdout + twice.stderr

    if empty_url.startswith("sqlite"):
        path = Path(empty_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:
            [(version,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            conn.execute("PRAGMA wal_checkpoint(FULL)")
        assert version == head_revision()
        for file in path.parent.glob(path.name + "*"):
            assert key.encode() not in file.read_bytes()  # only its hash is stored

        history = clinic(empty_url, "demo-data", "--bookings", "500", "--past-days", "30")
        assert history.returncode == 0, history.stderr
        assert history.stdout.strip().endswith("500 past bookings added")
        assert counts(empty_url)["Booking"] == first["Booking"] + 500
        refused = clinic(empty_url, "demo-data", "--bookings", "5000", "--past-days", "2")
        assert refused.returncode == 1
        assert refused.stderr.startswith("error (past_days): 5000 bookings need at least")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "sqlite:///"}, "DATABASE_URL"),
        ({"CLINIC_ENV": "production"}, "SECRET_KEY"),
    ],
)
def test_a_bad_setting_stops_the_command_with_one_line_naming_it(tmp_path, env, variable):
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/clinic.db",
    }
    done = subprocess.run(
        [CLINIC, "db", "upgrade"], env={**base, **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"configuration error: {variable}: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "clinic.db").exists()


def test_user_create_gives_the_account_the_name_the_history_shows(empty_url):
    assert clinic(empty_url, "db", "upgrade").returncode == 0
    named = clinic(
        empty_url,
        "user",
        "create",
        "ana@clinic.example",
        "--name",
        "Ana Novak",
        "--password-stdin",
        stdin="long enough pw\n",
    )
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == "receptionist ana@clinic.example (Ana Novak) created"
    unnamed = clinic(
        empty_url,
        "user",
        "create",
        "desk@clinic.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="long enough pw\n",
    )
    assert unnamed.stdout.strip() == "admin desk@clinic.example (Desk) created"
