"""The mail worker's heartbeat: a row in the database for the metrics (at most every
`every_seconds`), and a file touched after every round for the container's health check."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from shared.db import Database
from shared.models import WorkerHeartbeat


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Heartbeat:
    """Reported by one worker process after each round it finishes."""

    db: Database
    file: Path | None = None
    every_seconds: float = 15.0
    name: str = field(default_factory=worker_name)
    _last_row: datetime | None = None

    def beat(self, now: datetime) -> None:
        if self.file is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self.file.touch()
        due = self._last_row is None or now - self._last_row >= timedelta(
            seconds=self.every_seconds
        )
        if due:
            with self.db.transaction() as session:
                _upsert(session, self.name, now)
            self._last_row = now


def _upsert(session: Session, name: str, now: datetime) -> None:
    row = session.get(WorkerHeartbeat, name)
    if row is None:
        session.add(WorkerHeartbeat(worker=name, started_at=now, last_run_at=now))
    else:
        row.last_run_at = now


def file_age_seconds(path: Path) -> float | None:
    """Seconds since the heartbeat file was touched; None when there is none."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return None
