"""`clinic backup` / `clinic restore` on SQLite: a backup taken while bookings are being written
is one consistent moment, restores, passes the overlap checks and serves."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from services.scheduler import create_app
from shared import backup, booking
from shared.config import Settings
from shared.db import Database
from shared.errors import InvalidInput, TherapistBusy
from shared.models import Booking, BookingEvent, OutboxMessage
from tests.factories import MONDAY, NOW, local, make_clinic
from tests.integration.test_cli import clinic as clinic_command
from tests.integration.test_races import raw_booking

WRITES = 120
# Live bookings that overlap, per resource: the database's guards must keep this empty.
OVERLAPS = """
SELECT count(*) FROM booking a JOIN booking b
  ON a.id < b.id AND a.{column} = b.{column}
 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
WHERE a.status IN ('booked', 'completed', 'no_show')
  AND b.status IN ('booked', 'completed', 'no_show')
"""


class Writer(threading.Thread):
    """Books one session after another (a new day each), counting what committed."""

    def __init__(self, url: str, clinic) -> None:
        super().__init__(daemon=True)
        self.db = Database(url)
        self.clinic = clinic
        self.committed = 0
        self.moved = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for i in range(WRITES):
                if self.stop.is_set():
                    break
                with self.db.transaction() as session:
                    booking.book(
                        session,
                        treatment_type_id=self.clinic.consult.id,
                        start=local(MONDAY, "10:00") + timedelta(weeks=i % 40, days=i // 40),
                        client_id=self.clinic.client.id,
                        actor="writer",
                        now=NOW,
                    )
                with self.moved:
                    self.committed += 1
                    self.moved.notify_all()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.db.dispose()
            with self.moved:
                self.moved.notify_all()

    def wait_for(self, count: int) -> None:
        with self.moved:
            self.moved.wait_for(lambda: self.committed >= count or not self.is_alive(), timeout=60)


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> tuple[str, object]:
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    with database.transaction() as session:
        clinic = make_clinic(session)
    database.dispose()
    return url, clinic


def test_a_backup_taken_while_bookings_are_written_restores_whole_and_serves(
    live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, clinic = live
    monkeypatch.setattr(backup, "PAGES_PER_STEP", 4)  # many steps, with writes between them
    writer = Writer(url, clinic)
    writer.start()
    writer.wait_for(10)
    seen: list[int] = []

    def between_steps(copied: int, total: int) -> None:
        seen.append(writer.committed)
        writer.wait_for(writer.committed + 1)  # one more booking commits during the copy

    target = tmp_path / "backup.db"
    info = backup.backup(url, target, between_steps)
    writer.stop.set()
    writer.join(timeout=60)

    assert writer.error is None, writer.error
    assert len(seen) > 3 and seen[-1] > seen[0]  # the writer went on while it copied
    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    done = clinic_command(restored_url, "restore", str(target))
    assert done.returncode == 0, done.stderr
    assert f"schema {info.revision}" in done.stdout

    restored = Database(restored_url)
    try:
        with restored.read() as session:
            bookings = session.exec(select(func.count()).select_from(Booking)).one()
            events = session.exec(select(func.count()).select_from(BookingEvent)).one()
            invited = session.exec(
                select(func.count(func.distinct(OutboxMessage.booking_id)))
            ).one()
            for column in ("therapist_id", "room_id", "client_id"):
                assert session.execute(text(OVERLAPS.format(column=column))).scalar() == 0
            integrity = session.execute(text("PRAGMA integrity_check")).scalar()
        # one moment: every booking with its history and its invitation, none half-written
        assert 10 <= bookings <= seen[0] < writer.committed
        assert events == bookings and invited == bookings
        assert integrity == "ok"
        # the guards came along: an overlapping row is still refused
        with pytest.raises(TherapistBusy), restored.transaction() as session:
            session.add(raw_booking(clinic, "16:00"))
            booking._flush(session)
            session.add(raw_booking(clinic, "16:15", room=clinic.room2, client=clinic.other_client))
            booking._flush(session)
        settings = Settings(database_url=restored_url, log_format="text")
        http = create_app({"SETTINGS": settings, "DATABASE": restored}).test_client()
        assert http.get("/readyz").status_code == 200
        slots = http.get(
            "/api/v1/availability",
            query_string={"treatment_type_id": clinic.consult.id, "start": "2027-03-02"}
            | {"end": "2027-03-02"},
        )
        assert slots.status_code == 200 and slots.get_json()["slots"]
    finally:
        restored.dispose()


def test_restore_refuses_to_overwrite_a_clinic_unless_told_to(live, tmp_path: Path) -> None:
    url, _ = live
    target = tmp_path / "backup.db"
    assert clinic_command(url, "backup", str(target)).returncode == 0

    refused = clinic_command(url, "restore", str(target))
    replaced = clinic_command(url, "restore", str(target), "--replace")

    assert refused.returncode == 1
    assert "--replace" in refused.stderr
    assert replaced.returncode == 0, replaced.stderr


def test_backup_names_pg_dump_for_postgresql_and_refuses_a_file_that_is_no_backup(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidInput, match="pg_dump"):
        backup.backup("postgresql://clinic@db/clinic", tmp_path / "x.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput):
        backup.restore(junk, f"sqlite:///{tmp_path / 'new.db'}")
    assert not (tmp_path / "new.db").exists()
